"""Reading JSON and YAML form files: exact numbers, strict UTF-8, refusals naming the rule."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from programs.forms import (
    FormLoadError,
    example_form,
    load_form_file,
    load_form_text,
    validate_form,
)
from programs.forms.loading import MAX_BYTES

A = "liangrong-2026"


def test_json_floats_become_exact_decimals() -> None:
    data = load_form_text(b'{"economics": {"revenue": 0.1, "n": 4800, "big": 1e12}}', ".json")
    assert data["economics"] == {"revenue": Decimal("0.1"), "n": 4800, "big": Decimal("1E+12")}


def test_yaml_floats_become_exact_decimals() -> None:
    data = load_form_text(
        "economics:\n  revenue: 72.50\n  n: 1_000\n  name: 公司\n".encode(), "yaml"
    )
    assert data["economics"] == {"revenue": Decimal("72.50"), "n": 1000, "name": "公司"}


def test_yaml_infinity_is_not_a_number_for_validation() -> None:
    form = example_form(A, "manufacturing")
    text = json.dumps(form, ensure_ascii=False).replace('"72.5"', ".inf")
    data = load_form_text(text.encode(), ".yml")
    issues = validate_form(A, "manufacturing", data)
    assert [(i.path, i.code) for i in issues] == [("manufacturing.networked_rate", "type")]


def test_utf8_with_bom_is_accepted() -> None:
    assert load_form_text(b"\xef\xbb\xbf" + '{"basic": {"x": "甲"}}'.encode(), ".json") == {
        "basic": {"x": "甲"}
    }


def test_valid_example_round_trips_through_json_and_yaml(tmp_path: Path) -> None:
    form = example_form("szzx-2026-2", "center")
    for suffix in (".json", ".yaml"):
        path = tmp_path / f"form{suffix}"
        path.write_text(json.dumps(form, ensure_ascii=False), encoding="utf-8")  # JSON is YAML too
        assert (
            validate_form("szzx-2026-2", "center", load_form_file(path, "szzx-2026-2", "center"))
            == []
        )


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FormLoadError) as caught:
        load_form_text(b" " * (MAX_BYTES + 1), ".json")
    assert [(i.path, i.code) for i in caught.value.issues] == [("file", "too_large")]
    path = tmp_path / "big.json"
    path.write_bytes(b" " * (MAX_BYTES + 1))
    with pytest.raises(FormLoadError, match="too large"):
        load_form_file(path, A, "ito")


def test_yaml_duplicate_key_names_the_line() -> None:
    with pytest.raises(FormLoadError) as caught:
        load_form_text(b"basic:\n  a: 1\n  a: 2\n", ".yaml")
    issue = caught.value.issues[0]
    assert issue.code == "duplicate_key" and "第3行" in issue.message_zh


def test_yaml_syntax_error_names_the_place() -> None:
    with pytest.raises(FormLoadError) as caught:
        load_form_text(b"basic: [1, 2\n", ".yaml")
    issue = caught.value.issues[0]
    assert issue.code == "syntax" and issue.message_zh.startswith("YAML格式错误第")


def test_load_error_lists_issues_in_its_message() -> None:
    with pytest.raises(FormLoadError) as caught:
        load_form_text("{}".encode("utf-16"), ".json")
    assert (
        str(caught.value)
        == "file: 文件为UTF-16编码，请以UTF-8编码保存后重新提交 (file is UTF-16; save it as UTF-8)"
    )
