"""The one loader, the one text normaliser and the argument parsers on hostile values."""

from __future__ import annotations

import resource
from decimal import Decimal
from pathlib import Path

import pytest

from deadlines import parse_instant
from programs import text
from programs.safeload import LoadError, load_mapping, load_structured, quote
from shenbao import args
from tests.data.hostile.corpus import build


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build(tmp_path_factory.mktemp("corpus"))


class TestLoader:
    @pytest.mark.parametrize(
        ("name", "rule"),
        [
            ("alias_bomb.yaml", "yaml_alias"),
            ("duplicate_keys.json", "duplicate_key"),
            ("duplicate_keys.yaml", "duplicate_key"),
            ("python_tag.yaml", "yaml_tag"),
            ("deep_brackets.json", "too_deep"),
            ("deep_brackets.yaml", "too_deep"),
            ("deep_block.yaml", "too_deep"),
            ("deep_inline.toml", "too_deep"),
            ("calendar_deep.toml", "too_deep"),
            ("big_int.json", "number"),
            ("utf16.json", "encoding"),
            ("a_directory.yaml", "not_a_file"),
        ],
    )
    def test_every_hostile_file_is_one_short_refusal(
        self, corpus: dict[str, Path], name: str, rule: str
    ) -> None:
        start = cpu()
        with pytest.raises(LoadError) as info:
            load_structured(corpus[name], field="FILE")
        assert cpu() - start < 2.0
        assert info.value.rule == rule
        message = str(info.value)
        assert message.startswith("FILE: ") and f"(rule: {rule})" in message
        assert "\n" not in message and len(message) < 400

    def test_size_is_refused_before_reading(self, corpus: dict[str, Path]) -> None:
        with pytest.raises(LoadError) as info:
            load_structured(corpus["huge_sheet.json"], field="FILE", max_bytes=1000)
        assert info.value.rule == "too_large" and "limit 1000" in str(info.value)

    def test_hundred_thousand_brackets_never_reach_a_recursive_parser(self) -> None:
        for fmt in ("json", "yaml", "toml"):
            with pytest.raises(LoadError, match="too_deep"):
                load_structured(b"a = " + b"[" * 100_000 if fmt == "toml" else b"[" * 100_000,
                                field="F", fmt=fmt)  # fmt: skip

    def test_brackets_inside_strings_are_not_nesting(self) -> None:
        data = load_structured(b'{"a": "' + b"[" * 1000 + b'"}', field="F", fmt="json")
        assert data == {"a": "[" * 1000}

    def test_anchor_alone_is_refused_and_plain_yaml_is_exact(self) -> None:
        with pytest.raises(LoadError, match="yaml_alias"):
            load_structured(b"a: &x 1\n", field="F", fmt="yaml")
        assert load_structured(b"a: 1.10\nb: [x, {c: 2}]\n", field="F", fmt="yaml") == {
            "a": Decimal("1.10"),
            "b": ["x", {"c": 2}],
        }

    def test_merge_key_refused(self) -> None:
        with pytest.raises(LoadError, match="yaml_merge"):
            load_structured(b"a:\n  <<: {b: 1}\n", field="F", fmt="yaml")

    def test_quotation_is_bounded_and_printable(self) -> None:
        shown = quote("x\r\n" * 10_000)
        assert len(shown) < 400 and "\r" not in shown and "30000 characters" in shown

    def test_a_mapping_is_required_where_one_is_meant(self, tmp_path: Path) -> None:
        path = tmp_path / "list.json"
        path.write_bytes(b"[1]")
        with pytest.raises(LoadError, match="rule: type"):
            load_mapping(path, field="--file")
        other = tmp_path / "sheet.toml"
        other.write_bytes(b"a = 1")
        with pytest.raises(LoadError, match="rule: format"):
            load_mapping(other, field="--file")


class TestText:
    @pytest.mark.parametrize(
        ("value", "kind", "rule"),
        [
            ("恶意公司\r\nBcc: x@y.z", "name", "control_char"),
            ("a\x85b", "text", "control_char"),  # C1 NEL
            ("理由\r", "multiline", "control_char"),
            ("\u202e司公限有技科\u200b腾讯", "name", "bidi_control"),
            ("x\u2067y", "multiline", "bidi_control"),
            ("腾讯\u200b科技", "name", "invisible_char"),
            ("e1\ufeff", "id", "invisible_char"),
            ("e 1", "id", "rule: id"),
            ("\udcff", "text", "encoding"),
        ],
    )
    def test_refused(self, value: str, kind: text.Kind, rule: str) -> None:
        with pytest.raises(ValueError, match=rule) as info:
            text.clean(value, field="--name", max_len=200, kind=kind)
        assert str(info.value).startswith("--name: ")

    def test_multiline_keeps_newlines_and_reads_crlf_as_lf(self) -> None:
        assert text.clean("一\r\n二\n", field="--reason", max_len=10, kind="multiline") == "一\n二"

    def test_nfc_and_length_counted_after_it(self) -> None:
        decomposed = "e\u0301" * 200  # 400 code points, 200 characters in NFC
        assert text.clean(decomposed, field="--name", max_len=200, kind="name") == "é" * 200
        with pytest.raises(
            ValueError, match=r"--name: 201 characters; at most 200 \(rule: max_len\)"
        ):
            text.clean("名" * 201, field="--name", max_len=200, kind="name")

    def test_limits_are_the_columns(self) -> None:
        with pytest.raises(ValueError, match="at most 200"):
            text.applicant_name("x" * 40_000)
        with pytest.raises(ValueError, match="at most 60"):
            text.expert_id("e" * 61)
        assert text.applicant_name("  单位一  ") == "单位一"

    def test_audit_messages_capped(self) -> None:
        capped = text.cap("x" * 39_011_150)
        assert len(capped) == text.AUDIT_MESSAGE_MAX and capped.endswith(
            "39011150 characters, cut]"
        )
        assert text.cap("short") == "short"


class TestArgs:
    @pytest.mark.parametrize("value", ["١", "1_0", "0", "-1", "2147483648", "9" * 30, " ", "1e3"])
    def test_ids_refused(self, value: str) -> None:
        with pytest.raises(ValueError, match=r"^APP: .*rule: id"):
            args.record_id(value)

    def test_ids_accepted(self) -> None:
        assert args.record_id("10") == 10 and args.record_id("2147483647") == 2147483647

    @pytest.mark.parametrize("value", ["-5", "9999", "١٢٣٤", "2_026", "1999", "2101"])
    def test_years_refused(self, value: str) -> None:
        with pytest.raises(ValueError, match="rule: year"):
            args.year(value)

    def test_campaign_year_around_its_edition(self) -> None:
        assert args.campaign_year("szzx-2026-2", 2027) == 2027
        with pytest.raises(ValueError, match="2025 to 2027"):
            args.campaign_year("szzx-2026-2", 2030)

    def test_window_inside_the_year(self) -> None:
        window = args.window("2026-05-27..2026-06-20", "szzx-2026-2", None)
        assert window is not None and window.opens.isoformat() == "2026-05-27"
        with pytest.raises(ValueError, match=r"--window.opens: 9999-01-01 .*window_year"):
            args.window("9999-01-01..9999-12-31", "szzx-2026-2", None)

    def test_scoring_sheet_bounds(self) -> None:
        many = {"criteria": [{"id": f"c{i}", "max_points": 1} for i in range(101)]}
        with pytest.raises(ValueError, match="101 criteria; at most 100"):
            args.scoring_sheet(many)
        with pytest.raises(ValueError, match=r"criteria\[0\].max_points.*above 1000"):
            args.scoring_sheet({"criteria": [{"id": "c", "max_points": Decimal("1e30")}]})
        ok = {"criteria": [{"id": "c", "max_points": 1000, "weight": "2.5"}]}
        assert args.scoring_sheet(ok) is ok

    @pytest.mark.parametrize(
        "value",
        ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00", "1900-01-01", "2100-01-01"],
    )
    def test_instants_outside_the_calendar_span(self, value: str) -> None:
        with pytest.raises(ValueError, match=r"^--now: .*rule: instant_range"):
            parse_instant(value)

    def test_instants_inside(self) -> None:
        assert parse_instant("2026-05-01T10:00").year == 2026
        with pytest.raises(ValueError, match="rule: instant"):
            parse_instant("x" * 10_000)
