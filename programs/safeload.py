"""The one loader for every structured file the system reads (forms, scoring sheets, scores,
annual reports, calendars, editions): JSON, YAML and TOML, read as an attacker might write them.

- the size is capped before anything is parsed (and a file is never read past the cap);
- the nesting depth is capped, checked without recursion (100,000 nested ``[`` is one refusal,
  never a RecursionError);
- YAML is the safe subset without anchors, aliases, merge keys or tags (no billion laughs);
- a key given twice is refused (JSON and YAML), never "last one wins";
- every refusal is a LoadError naming the field and the rule, one line, quoting at most
  QUOTE_CHARS characters of whatever the file holds.
"""

from __future__ import annotations

import json
import re
import stat
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_MAX_DEPTH = 32
QUOTE_CHARS = 120
FORMATS = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml"}

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


class LoadError(ValueError):
    """A structured file refused: `field` (what the user gave), `rule`, and the reason in English
    and Chinese. str() is one line: ``field: reason (rule: rule)``."""

    def __init__(self, field: str, rule: str, en: str, zh: str | None = None) -> None:
        self.field = field
        self.rule = rule
        self.en = _one_line(en)
        self.zh = _one_line(zh if zh is not None else en)
        super().__init__(f"{field}: {self.en} (rule: {rule})")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def quote(value: Any, limit: int = QUOTE_CHARS) -> str:
    """`value` as a short printable quotation: at most `limit` characters of it, control and
    invisible characters shown as escapes, the original length said when cut."""
    text = value if isinstance(value, str) else repr(value)
    shown = _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text[:limit])[:limit]
    if len(text) > limit or len(shown) == limit:
        return f"'{shown}'… ({len(text)} characters)"
    return f"'{shown}'"


def load_structured(
    source: Path | str | bytes,
    *,
    field: str,
    fmt: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    exact: bool = True,
) -> Any:
    """The data in a JSON, YAML or TOML file (or its bytes, with `fmt` one of json/yaml/toml).

    `fmt` defaults to the file's suffix. With `exact`, non-integral numbers are Decimals.
    Raises LoadError (a ValueError) naming `field` and the rule broken.
    """
    if isinstance(source, bytes):
        if fmt is None:
            raise LoadError(field, "format", "the format of the data is not given")
        raw = source
        name = field
        if len(raw) > max_bytes:
            raise _too_large(field, len(raw), max_bytes)
    else:
        path = Path(source)
        name = path.name
        fmt = fmt or FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise LoadError(
                field,
                "format",
                f"{quote(name)} must be a .json, .yaml, .yml or .toml file",
                f"不支持的文件类型{quote(name)}：请使用 .json、.yaml、.yml 或 .toml 文件",
            )
        raw = read_capped(path, field=field, max_bytes=max_bytes)
    fmt = fmt.lower().lstrip(".")
    fmt = FORMATS.get(f".{fmt}", fmt)
    if fmt not in ("json", "yaml", "toml"):
        raise LoadError(field, "format", f"unknown format {quote(fmt)}")
    text = decode(raw, field=field)
    if fmt == "json":
        _bracket_depth(text, field, max_depth, _JSON_TOKENS)
        data = _json(text, field, exact)
    elif fmt == "toml":
        _bracket_depth(text, field, max_depth, _TOML_TOKENS)
        data = _toml(text, field, exact)
    else:
        data = _yaml(text, field, max_depth, exact)
    check_depth(data, field=field, max_depth=max_depth)
    return data


# ---------------------------------------------------------------------------------- reading


def _too_large(field: str, size: int, limit: int) -> LoadError:
    return LoadError(
        field,
        "too_large",
        f"file too large ({size} bytes; limit {limit})",
        f"文件过大（{size}字节），上限{limit}字节",
    )


def read_capped(path: Path, *, field: str, max_bytes: int) -> bytes:
    """The bytes of a regular file no larger than `max_bytes`; never reads past the cap."""
    shown = quote(str(path), 80)[1:-1]
    try:
        info = path.stat()
    except FileNotFoundError:
        raise LoadError(field, "missing", f"{shown} does not exist", f"文件{shown}不存在") from None
    except OSError as exc:
        raise LoadError(field, "unreadable", f"{shown} cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise LoadError(field, "not_a_file", f"{shown} is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise LoadError(field, "not_a_file", f"{shown} is not a regular file")
    if info.st_size > max_bytes:
        raise _too_large(field, info.st_size, max_bytes)
    try:
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise LoadError(field, "unreadable", f"{shown} cannot be read ({exc.strerror})") from None
    if len(raw) > max_bytes:
        raise _too_large(field, len(raw), max_bytes)
    return raw


def decode(raw: bytes, *, field: str) -> str:
    """Strict UTF-8 (a UTF-8 byte-order mark is dropped; UTF-16 is refused by name)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LoadError(
            field,
            "encoding",
            "file is UTF-16; save it as UTF-8",
            "文件为UTF-16编码，请以UTF-8编码保存后重新提交",
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = raw[exc.start]
        raise LoadError(
            field,
            "encoding",
            f"file is not UTF-8 (byte {exc.start + 1} 0x{byte:02X} cannot be decoded; "
            "GBK perhaps): save it as UTF-8",
            f"文件不是UTF-8编码（第{exc.start + 1}字节0x{byte:02X}无法解码，可能为GBK），"
            "请以UTF-8编码保存后重新提交",
        ) from None


# ---------------------------------------------------------------------------------- depth

_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.S)
_TOML_TOKENS = re.compile(
    r'"""[\s\S]*?(?:"""|\Z)|\'\'\'[\s\S]*?(?:\'\'\'|\Z)|"(?:[^"\\\n]|\\.)*"?|\'[^\'\n]*\'?'
    r"|#[^\n]*|[\[\]{}]"
)


def _too_deep(field: str, max_depth: int, line: int | None = None) -> LoadError:
    return LoadError(
        field,
        "too_deep",
        f"nested deeper than {max_depth} levels" + (f" (line {line})" if line else ""),
        (f"第{line}行" if line else "") + f"嵌套层数超过{max_depth}层",
    )


def _bracket_depth(text: str, field: str, max_depth: int, tokens: re.Pattern[str]) -> None:
    """Refuse brackets nested deeper than `max_depth` before a recursive parser sees them."""
    if text.count("[") + text.count("{") <= max_depth:
        return
    depth = 0
    for match in tokens.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > max_depth:
                line = text.count("\n", 0, match.start()) + 1
                raise _too_deep(field, max_depth, line)
        elif token in ("]", "}"):
            depth = max(depth - 1, 0)


def check_depth(data: Any, *, field: str, max_depth: int = DEFAULT_MAX_DEPTH) -> None:
    """Refuse parsed data nested deeper than `max_depth` (an explicit stack: no recursion)."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list | tuple):
            children = value
        else:
            continue
        if depth + 1 > max_depth:
            raise _too_deep(field, max_depth)
        stack.extend((child, depth + 1) for child in children)


# ---------------------------------------------------------------------------------- JSON


def _json(text: str, field: str, exact: bool) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in items:
            if key in result:
                raise LoadError(
                    field,
                    "duplicate_key",
                    f"key {quote(key)} appears twice",
                    f"键“{quote(key)[1:-1]}”重复出现",
                )
            result[key] = value
        return result

    def constant(name: str) -> Any:
        raise LoadError(
            field, "syntax", f"{name} is not allowed in JSON", f"JSON中不允许出现{name}"
        )

    try:
        return json.loads(
            text,
            parse_float=Decimal if exact else float,
            parse_constant=constant,
            object_pairs_hook=pairs,
        )
    except json.JSONDecodeError as exc:
        raise LoadError(
            field,
            "syntax",
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
            f"JSON格式错误：第{exc.lineno}行第{exc.colno}列",
        ) from None
    except LoadError:
        raise
    except (ValueError, RecursionError) as exc:  # an integer of more digits than Python converts
        raise LoadError(field, "number", f"a value cannot be read: {quote(str(exc))}") from None


# ---------------------------------------------------------------------------------- TOML


def _toml(text: str, field: str, exact: bool) -> Any:
    try:
        return tomllib.loads(text, parse_float=Decimal if exact else float)
    except tomllib.TOMLDecodeError as exc:
        raise LoadError(
            field, "syntax", f"invalid TOML: {quote(str(exc))}", "TOML 语法错误"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise LoadError(field, "number", f"a value cannot be read: {quote(str(exc))}") from None


# ---------------------------------------------------------------------------------- YAML


def _yaml(text: str, field: str, max_depth: int, exact: bool) -> Any:
    from programs._safeyaml import load_yaml  # PyYAML only when a YAML file is read

    return load_yaml(text, field, max_depth, exact)


def load_mapping(
    source: Path | str | bytes,
    *,
    field: str,
    fmt: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    formats: tuple[str, ...] = ("json", "yaml"),
) -> dict[str, Any]:
    """load_structured, requiring a mapping at the top and one of `formats`."""
    if not isinstance(source, bytes):
        kind = fmt or FORMATS.get(Path(source).suffix.lower())
        if kind not in formats:
            allowed = ", ".join(s for s, f in FORMATS.items() if f in formats)
            raise LoadError(field, "format", f"{quote(Path(source).name)} must be a {allowed} file")
    data = load_structured(source, field=field, fmt=fmt, max_bytes=max_bytes, max_depth=max_depth)
    if not isinstance(data, dict):
        got = "nothing" if data is None else type(data).__name__
        raise LoadError(field, "type", f"the file must hold a mapping, got {got}")
    return data
