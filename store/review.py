"""Use cases after the provincial review: expert scoring, shortlist, 公示 with objections, confirmed
titles, annual reports and recertification. Each is one transaction; every event is audited.

The use cases live in one module per stage (store.scoring_stage, store.notice_stage,
store.titles_stage over store.review_base); `Review` puts them together, with the notice export.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from sqlalchemy import select

from programs.editions import load_edition
from states import notice as notice_rules
from store.notice_stage import CloseOutcome, NoticeStage, PublishedNotice
from store.review_models import (
    Notice,
    NoticeEntry,
)
from store.scoring_stage import (
    RankRow,
    ScoringStage,
    ShortlistOutcome,
    TieReport,
)
from store.titles_stage import OverdueRow, ReportsOpened, ReportSubmitted, TitleStage
from store.transitions import NotFound


class Review(ScoringStage, NoticeStage, TitleStage):
    """Expert scoring through recertification, over the lifecycle service of one database."""

    def export_notice(
        self,
        campaign_id: int,
        *,
        xlsx: Path | None = None,
        html_path: Path | None = None,
    ) -> list[Path]:
        """Write the latest notice list of the campaign (name, province, category)."""
        if xlsx is None and html_path is None:
            raise ValueError("export: 须指定 --xlsx 或 --html (give --xlsx and/or --html)")
        with self.db.sessions() as s:
            campaign = self._campaign(s, campaign_id)
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
        written: list[Path] = []
        if xlsx is not None:
            written.append(_write_xlsx(Path(xlsx), heading, period, rows))
        if html_path is not None:
            written.append(_write_html(Path(html_path), heading, period, rows))
        return written


def _write_xlsx(path: Path, heading: str, period: str, rows: list[tuple[Any, ...]]) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "公示名单"
    ws.append([heading])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([period])
    ws.append(["序号", "申报单位名称", "所在省份", "类别"])
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(list(row))
    for column, width in zip("ABCD", (8, 48, 16, 28), strict=True):
        ws.column_dimensions[column].width = width
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _write_html(path: Path, heading: str, period: str, rows: list[tuple[Any, ...]]) -> Path:
    esc = html.escape
    body = "\n".join(
        "    <tr>" + "".join(f"<td>{esc(str(cell))}</td>" for cell in row) + "</tr>" for row in rows
    )
    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{esc(heading)}</title>
</head>
<body>
<h1>{esc(heading)}</h1>
<p>{esc(period)}</p>
<table border="1">
  <thead>
    <tr><th>序号</th><th>申报单位名称</th><th>所在省份</th><th>类别</th></tr>
  </thead>
  <tbody>
{body}
  </tbody>
</table>
</body>
</html>
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


__all__ = [
    "CloseOutcome",
    "OverdueRow",
    "PublishedNotice",
    "RankRow",
    "ReportSubmitted",
    "ReportsOpened",
    "Review",
    "ShortlistOutcome",
    "TieReport",
]
