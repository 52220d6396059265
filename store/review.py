"""Use cases after the provincial review: expert scoring, shortlist, 公示 with objections, confirmed
titles, annual reports and recertification. Each is one transaction; every event is audited.

The use cases live in one module per stage (store.scoring_stage, store.notice_stage,
store.titles_stage over store.review_base); `Review` puts them together, with the notice export.
"""

from __future__ import annotations

from pathlib import Path

from store.notice_stage import CloseOutcome, NoticeStage, PublishedNotice
from store.scoring_stage import (
    RankRow,
    ScoringStage,
    ShortlistOutcome,
    TieReport,
)
from store.titles_stage import OverdueRow, ReportsOpened, ReportSubmitted, TitleStage


class Review(ScoringStage, NoticeStage, TitleStage):
    """Expert scoring through recertification, over the lifecycle service of one database."""

    def export_notice(
        self,
        campaign_id: int,
        *,
        xlsx: Path | None = None,
        html_path: Path | None = None,
        force: bool = False,
    ) -> list[Path]:
        """Write the latest notice list of the campaign (exports.notice)."""
        from exports.notice import export_notice

        return export_notice(self.db, campaign_id, xlsx=xlsx, html_path=html_path, force=force)


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
