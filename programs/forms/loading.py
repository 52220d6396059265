"""Reading a submitted form file (JSON, YAML or a filled .xlsx template) through the one loader
(programs.safeload): strict UTF-8, numbers kept exact (Decimal), size and depth capped, duplicate
keys, YAML anchors, aliases and tags refused; every refusal a FormIssue naming the rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from programs.forms.issues import FormIssue, FormLoadError
from programs.forms.xlsx import read_form_xlsx
from programs.safeload import LoadError, load_structured, read_capped

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 16  # form -> section -> table -> row -> value, with room to spare
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
    data = _parse(raw, "json" if suffix in JSON_SUFFIXES else "yaml")
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


# the loader's rules as form issue codes (programs.forms.issues.ISSUE_CODES)
_CODES = {"number": "syntax", "missing": "unreadable", "not_a_file": "unreadable"}


def _parse(raw: bytes, fmt: str) -> Any:
    try:
        return load_structured(raw, field=FILE, fmt=fmt, max_bytes=MAX_BYTES, max_depth=MAX_DEPTH)
    except LoadError as exc:
        raise _error(_CODES.get(exc.rule, exc.rule), exc.zh, exc.en) from None


def load_form_file(path: Path | str, edition_id: str, kind: str) -> dict[str, Any]:
    """The form in a .json, .yaml/.yml or filled .xlsx template file (FormLoadError if unreadable).

    JSON and YAML values are returned as written; .xlsx values come typed by the schema.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return read_form_xlsx(path, edition_id, kind)
    if suffix not in JSON_SUFFIXES | YAML_SUFFIXES:
        return load_form_text(b"", suffix)  # refused by its suffix, before anything is read
    try:
        raw = read_capped(path, field=FILE, max_bytes=MAX_BYTES)
    except LoadError as exc:
        raise _error(_CODES.get(exc.rule, exc.rule), exc.zh, exc.en) from None
    return load_form_text(raw, suffix)
