"""Reading a submitted form file (JSON, YAML or a filled .xlsx template): strict UTF-8, numbers kept
exact (Decimal), duplicate keys and YAML aliases refused, every refusal a FormIssue naming the rule."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from programs.forms.issues import FormIssue, FormLoadError
from programs.forms.xlsx import read_form_xlsx

MAX_BYTES = 5 * 1024 * 1024
FILE = "file"
JSON_SUFFIXES = frozenset({".json"})
YAML_SUFFIXES = frozenset({".yaml", ".yml"})


def load_form_text(raw: bytes, suffix: str) -> dict[str, Any]:
    """The form in a .json / .yaml / .yml file's bytes (a mapping; values not yet typed)."""
    suffix = suffix.lower() if suffix.startswith(".") else f".{suffix.lower()}"
    if suffix not in JSON_SUFFIXES | YAML_SUFFIXES:
        raise _error(
            "format",
            f"不支持的文件类型“{suffix}”：请提交 .json、.yaml 或 .xlsx 文件",
            f"unsupported file type {suffix!r}: use .json, .yaml or .xlsx",
        )
    if len(raw) > MAX_BYTES:
        raise _error(
            "too_large",
            f"文件过大（{len(raw)}字节），上限{MAX_BYTES}字节",
            f"file too large ({len(raw)} bytes; limit {MAX_BYTES})",
        )
    text = _decode(raw)
    data = _parse_json(text) if suffix in JSON_SUFFIXES else _parse_yaml(text)
    if not isinstance(data, dict):
        kind = "空文件" if data is None else type(data).__name__
        raise _error(
            "type",
            f"表单应为按部分组织的映射（JSON对象），实际为{kind}",
            f"the form must be a mapping of sections, got {'nothing' if data is None else kind}",
            path="form",
        )
    return data


def _error(code: str, zh: str, en: str, *, path: str = FILE) -> FormLoadError:
    return FormLoadError([FormIssue(path, code, zh, en)])


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _error(
            "encoding",
            "文件为UTF-16编码，请以UTF-8编码保存后重新提交",
            "file is UTF-16; save it as UTF-8",
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = raw[exc.start]
        raise _error(
            "encoding",
            f"文件不是UTF-8编码（第{exc.start + 1}字节0x{byte:02X}无法解码，可能为GBK），"
            "请以UTF-8编码保存后重新提交",
            f"file is not UTF-8 (byte {exc.start + 1} 0x{byte:02X} cannot be decoded; "
            "GBK perhaps): save it as UTF-8",
        ) from exc


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _error(
                "duplicate_key",
                f"键“{key}”重复出现",
                f"key {key!r} appears twice",
            )
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise _error(
        "syntax",
        f"JSON中不允许出现{name}",
        f"{name} is not allowed in JSON",
    )


def _parse_json(text: str) -> Any:
    try:
        return json.loads(
            text,
            parse_float=Decimal,
            parse_constant=_refuse_constant,
            object_pairs_hook=_no_duplicates,
        )
    except json.JSONDecodeError as exc:
        raise _error(
            "syntax",
            f"JSON格式错误：第{exc.lineno}行第{exc.colno}列",
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
        ) from exc


class _FormYamlLoader(yaml.SafeLoader):
    """Safe YAML without aliases (no billion laughs), with exact decimals and unique keys."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            line = event.start_mark.line + 1
            raise _error(
                "yaml_alias",
                f"YAML第{line}行使用了锚点别名（*{event.anchor}），表单中不允许使用",
                f"YAML alias *{event.anchor} at line {line} is not allowed in a form",
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                line = key_node.start_mark.line + 1
                raise _error(
                    "duplicate_key",
                    f"键“{key}”重复出现（YAML第{line}行）",
                    f"key {key!r} appears twice (YAML line {line})",
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _yaml_decimal(loader: yaml.SafeLoader, node: Any) -> Any:
    text = str(loader.construct_scalar(node)).replace("_", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return loader.construct_yaml_float(node)  # .inf / .nan: refused later as not a number
    return value if value.is_finite() else float(value)


_FormYamlLoader.add_constructor("tag:yaml.org,2002:float", _yaml_decimal)


def _parse_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_FormYamlLoader)  # noqa: S506 - a SafeLoader subclass
    except FormLoadError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 1}行第{mark.column + 1}列" if mark is not None else ""
        where_en = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise _error(
            "syntax",
            f"YAML格式错误{where}",
            f"invalid YAML{where_en}: {problem}",
        ) from exc


def load_form_file(path: Path | str, edition_id: str, kind: str) -> dict[str, Any]:
    """The form in a .json, .yaml/.yml or filled .xlsx template file (FormLoadError if unreadable).

    JSON and YAML values are returned as written; .xlsx values come typed by the schema.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return read_form_xlsx(path, edition_id, kind)
    if path.stat().st_size > MAX_BYTES:
        raise _error(
            "too_large",
            f"文件过大（{path.stat().st_size}字节），上限{MAX_BYTES}字节",
            f"file too large ({path.stat().st_size} bytes; limit {MAX_BYTES})",
        )
    return load_form_text(path.read_bytes(), suffix)
