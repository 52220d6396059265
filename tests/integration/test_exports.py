"""Exports cannot carry code, and are written whole or not at all; `notify send` says what failed.

Every export is re-read: openpyxl for the workbook (no formula cell, no <f> element in the XML,
names exactly as stored), html.parser for the notice page (no element but the page's own, the
names as text)."""

from __future__ import annotations

import zipfile
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from exports.cells import csv_text, put_text
from exports.files import OutputError, write_output
from store.outbox import insert_rows, outbox_row
from tests.integration.test_review_notice import on_notice
from tests.integration.test_review_path import Campaign, campaign_e

HOSTILE_TEXTS = [
    '=HYPERLINK("http://evil.example/x","点击查看")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
]
NAMES = [
    '=HYPERLINK("http://evil.example/x","点击查看")',
    "<script>alert('x')</script>&amp;有限公司",
    '"><img src=x onerror=alert(1)>科技',
    "@SUM(1+1)数字中心",
]
PAGE_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "body",
    "h1",
    "p",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


def formulas_in(path: Path) -> list[str]:
    """Cells openpyxl reads as formulas, and <f> elements in the sheets' XML."""
    found = []
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    found.append(f"{ws.title}!{cell.coordinate}")
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and b"<f>" in archive.read(name):
                found.append(name)
    return found


class TestCells:
    def test_text_that_a_spreadsheet_would_evaluate_is_written_as_text(
        self, tmp_path: Path
    ) -> None:
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        for row, value in enumerate(HOSTILE_TEXTS, start=1):
            put_text(ws, row, 1, value)
        put_text(ws, len(HOSTILE_TEXTS) + 1, 1, 42)
        path = tmp_path / "cells.xlsx"
        wb.save(path)
        assert formulas_in(path) == []
        back = load_workbook(path).active
        assert back is not None
        values = [back.cell(row=r, column=1).value for r in range(1, len(HOSTILE_TEXTS) + 2)]
        assert values[:-1] == HOSTILE_TEXTS
        assert values[-1] == 42
        assert all(back.cell(row=r, column=1).quotePrefix for r in range(1, len(HOSTILE_TEXTS) + 1))

    def test_plain_openpyxl_would_have_made_a_formula(self, tmp_path: Path) -> None:
        # the control: without the sanitiser, the same name is a live formula
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws["A1"] = HOSTILE_TEXTS[0]
        path = tmp_path / "raw.xlsx"
        wb.save(path)
        assert formulas_in(path) != []

    def test_csv_fields(self) -> None:
        assert [csv_text(v) for v in HOSTILE_TEXTS] == ["'" + v for v in HOSTILE_TEXTS]
        assert csv_text("单位一") == "单位一" and csv_text(None) == "" and csv_text(-1) == "'-1"


class TestWriter:
    def test_a_crash_leaves_no_file_and_no_temporary(self, tmp_path: Path) -> None:
        target = tmp_path / "out.xlsx"

        def half(path: Path) -> None:
            path.write_bytes(b"half a file")
            raise RuntimeError("crash while writing")

        with pytest.raises(RuntimeError):
            write_output(target, half, field="--xlsx")
        assert list(tmp_path.iterdir()) == []

    def test_existing_file_kept_unless_forced(self, tmp_path: Path) -> None:
        target = tmp_path / "out.html"
        target.write_text("old", encoding="utf-8")
        with pytest.raises(OutputError, match=r"^--html: .* exists; pass --force .*output_exists"):
            write_output(target, lambda p: p.write_text("new"), field="--html")
        assert target.read_text(encoding="utf-8") == "old"
        write_output(target, lambda p: p.write_text("new"), field="--html", force=True)
        assert target.read_text(encoding="utf-8") == "new"
        assert [p.name for p in tmp_path.iterdir()] == ["out.html"]

    @pytest.mark.parametrize(
        ("where", "rule"),
        [
            (".", "output_path"),
            ("{tmp}", "output_is_directory"),
            ("{tmp}/missing/out.xlsx", "output_folder_missing"),
            ("/proc/shenbao-out.xlsx", "output_unwritable"),
            ("/dev/null", "output_not_regular"),
        ],
    )
    def test_bad_targets(self, tmp_path: Path, where: str, rule: str) -> None:
        with pytest.raises(OutputError, match=f"rule: {rule}"):
            write_output(where.format(tmp=tmp_path), lambda p: None, field="--xlsx", force=True)


@pytest.fixture
def c(db_url: str) -> Campaign:
    return campaign_e(db_url)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.cells: list[str] = []
        self._in_td = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)
        self._in_td = tag == "td"
        if self._in_td:
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_td = False

    def handle_data(self, data: str) -> None:
        if self._in_td:
            self.cells[-1] += data


class TestNoticeExport:
    def test_names_exact_no_formula_no_markup(self, c: Campaign, tmp_path: Path) -> None:
        on_notice(
            c,
            *[
                (n, p, name)
                for (n, name), p in zip(
                    enumerate(NAMES, start=1), ["广东", "浙江", "江苏", "山东"], strict=True
                )
            ],
        )
        xlsx, page = tmp_path / "notice.xlsx", tmp_path / "notice.html"
        written = c.review.export_notice(c.id, xlsx=xlsx, html_path=page)
        assert written == [xlsx, page]
        assert formulas_in(xlsx) == []
        ws = load_workbook(xlsx)["公示名单"]
        listed = [ws.cell(row=r, column=2).value for r in range(4, 4 + len(NAMES))]
        assert sorted(listed) == sorted(NAMES)  # exactly as the applicants' forms hold them
        parser = _Page()
        parser.feed(page.read_text(encoding="utf-8"))
        assert set(parser.tags) <= PAGE_TAGS, set(parser.tags) - PAGE_TAGS
        assert {name for name, _v in parser.attrs} <= {"lang", "charset", "border"}
        assert sorted(parser.cells[1::4]) == sorted(NAMES)

    def test_export_keeps_existing_files_and_replaces_them_with_force(
        self, c: Campaign, tmp_path: Path
    ) -> None:
        on_notice(c, (1, "广东", "单位一"))
        page = tmp_path / "notice.html"
        page.write_text("published earlier", encoding="utf-8")
        xlsx = tmp_path / "new.xlsx"
        with pytest.raises(OutputError, match="output_exists"):
            c.review.export_notice(c.id, xlsx=xlsx, html_path=page)
        assert not xlsx.exists()  # both targets checked before either is written
        assert page.read_text(encoding="utf-8") == "published earlier"
        c.review.export_notice(c.id, xlsx=xlsx, html_path=page, force=True)
        assert "单位一" in page.read_text(encoding="utf-8") and xlsx.exists()

    def test_a_bidi_name_never_reaches_the_notice(self, c: Campaign) -> None:
        with pytest.raises(ValueError, match="bidi_control"):
            on_notice(c, (1, "广东", "\u202e司公限有技科\u200b腾讯"))


def test_notify_send_says_what_failed_and_what_waits(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deadlines import parse_instant
    from shenbao.cli import app
    from store.db import Database

    now = parse_instant("2026-06-01T10:00")
    db = Database(db_url)
    with db.transaction() as s:
        insert_rows(
            s,
            [
                outbox_row(key="bad", message_type="submitted", recipient="a@b.cn\r\nBcc: x@y.z",
                           context={}, now=now),
                outbox_row(key="leased", message_type="submitted", recipient="c@d.cn",
                           context={}, now=now, not_before=now + timedelta(minutes=10)),
            ],
        )  # fmt: skip
    monkeypatch.setenv("SHENBAO_DATABASE_URL", db_url)
    monkeypatch.setenv("SHENBAO_MAIL", f"file:{tmp_path / 'mail'}")
    result = CliRunner().invoke(
        app, ["notify", "send", "--as", "ministry", "--now", "2026-06-01T10:00"]
    )
    assert result.exit_code == 1, result.output
    assert "failed 1" in result.stdout
    assert "failed permanently in this run: 1 message(s)" in result.stdout
    assert "waiting: 1 message(s) not due again before 2026-06-01 10:10:00 +08:00" in result.stdout
    again = CliRunner().invoke(
        app, ["notify", "send", "--as", "ministry", "--now", "2026-06-01T10:01"]
    )
    assert again.exit_code == 0 and "failed earlier, not retried: 1" in again.stdout
