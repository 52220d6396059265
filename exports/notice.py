"""The published 公示 list as .xlsx and as a plain HTML page.

Names appear exactly as the applicant's form holds them (normalised when entered, see
programs.text): in the workbook every text is a string cell, never a formula (exports.cells); in
the page every text is escaped. Both files are written whole or not at all (exports.files).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from exports.cells import put_text
from exports.files import check_output, write_output
from programs.editions import load_edition
from states import notice as notice_rules
from store.db import Database
from store.models import Campaign
from store.review_models import Notice, NoticeEntry
from store.transitions import NotFound

HEADERS = ("序号", "申报单位名称", "所在省份", "类别")
SHEET_TITLE = "公示名单"


@dataclass(frozen=True)
class NoticeList:
    heading: str
    period: str
    rows: list[tuple[int, str, str, str]]


def notice_list(db: Database, campaign_id: int) -> NoticeList:
    """The latest notice of the campaign: heading, period line, (position, name, province, category)."""
    with db.sessions() as s:
        campaign = s.get(Campaign, campaign_id)
        if campaign is None:
            raise NotFound(f"campaign: no campaign with id {campaign_id}")
        edition = load_edition(campaign.edition_id)
        notice = s.scalar(
            select(Notice)
            .where(Notice.campaign_id == campaign_id)
            .order_by(Notice.published_at.desc(), Notice.id.desc())
            .limit(1)
        )
        if notice is None:
            raise NotFound(f"notice: campaign {campaign_id} has published no notice")
        entries = s.scalars(
            select(NoticeEntry)
            .where(NoticeEntry.notice_id == notice.id)
            .order_by(NoticeEntry.position)
        ).all()
        rows = [
            (
                e.position,
                e.name,
                e.province or (f"中央企业集团：{e.group_name}" if e.group_name else ""),
                edition.category(e.category).name_zh,
            )
            for e in entries
        ]
        heading = f"{edition.title}入围名单公示"
        period = (
            f"公示期：{notice.first_day.year}年{notice.label}，"
            f"截至 {notice_rules.last_second_label(notice.ends_at)}"
        )
    return NoticeList(heading, period, rows)


def export_notice(
    db: Database,
    campaign_id: int,
    *,
    xlsx: Path | str | None = None,
    html_path: Path | str | None = None,
    force: bool = False,
) -> list[Path]:
    """Write the latest notice list of the campaign; both targets are checked before either is
    written (a bad --html leaves no new --xlsx behind)."""
    if xlsx is None and html_path is None:
        raise ValueError("export: 须指定 --xlsx 或 --html (give --xlsx and/or --html)")
    if (
        xlsx is not None
        and html_path is not None
        and Path(xlsx).absolute() == Path(html_path).absolute()
    ):
        raise ValueError("--html: the same file as --xlsx (rule: output_path)")
    if xlsx is not None:
        check_output(xlsx, field="--xlsx", force=force)
    if html_path is not None:
        check_output(html_path, field="--html", force=force)
    data = notice_list(db, campaign_id)
    written: list[Path] = []
    if xlsx is not None:
        written.append(
            write_output(xlsx, lambda p: write_xlsx(p, data), field="--xlsx", force=force)
        )
    if html_path is not None:
        page = render_html(data)
        written.append(
            write_output(
                html_path,
                lambda p: p.write_text(page, encoding="utf-8"),
                field="--html",
                force=force,
            )
        )
    return written


def write_xlsx(path: Path, data: NoticeList) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET_TITLE
    put_text(ws, 1, 1, data.heading).font = Font(bold=True, size=14)
    put_text(ws, 2, 1, data.period)
    for column, header in enumerate(HEADERS, start=1):
        put_text(ws, 3, column, header).font = Font(bold=True)
    for offset, row in enumerate(data.rows):
        for column, value in enumerate(row, start=1):
            put_text(ws, 4 + offset, column, value)
    for column, width in zip("ABCD", (8, 48, 16, 28), strict=True):
        ws.column_dimensions[column].width = width
    wb.save(path)


def render_html(data: NoticeList) -> str:
    esc = html.escape
    header = "".join(f"<th>{esc(h)}</th>" for h in HEADERS)
    body = "\n".join(
        "    <tr>" + "".join(f"<td>{esc(str(cell))}</td>" for cell in row) + "</tr>"
        for row in data.rows
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{esc(data.heading)}</title>
</head>
<body>
<h1>{esc(data.heading)}</h1>
<p>{esc(data.period)}</p>
<table border="1">
  <thead>
    <tr>{header}</tr>
  </thead>
  <tbody>
{body}
  </tbody>
</table>
</body>
</html>
"""
