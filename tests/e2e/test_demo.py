"""The demo end to end (fewer applicants): every stage leaves its mark in the data and the mail."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import select

from store import audit
from store.review_models import AnnualReport


@pytest.mark.usefixtures("prefect_harness")
def test_demo_runs_a_whole_campaign(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from shenbao.demo import Demo

    monkeypatch.setenv("SHENBAO_DATABASE_URL", "sqlite://")  # replaced by the demo's own
    demo = Demo("liangrong-2021", tmp_path / "demo", Console(quiet=True))
    result = demo.run(80)
    states = Counter(a.status for a, _ in demo.lc.list_applications(edition="liangrong-2021"))
    assert states["confirmed"] >= 5
    assert states["removed_after_notice"] == 1  # the upheld objection
    assert states["lapsed"] > 0 and states["not_shortlisted"] > 0
    assert result.events["late_submit:refused:RefuseLateSubmission"] > 0
    assert result.events["late_objection:refused:ObjectionOnlyDuringNotice"] == 1
    assert result.events["assign:refused:AvoidConflictOfInterest"] == 1
    assert any("入围线并列" in note for note in result.notes)
    with demo.lc.db.sessions() as s:
        assert list(audit.verify(s)) == []
        late = s.scalars(select(AnnualReport).where(AnnualReport.overdue.is_(True))).all()
    assert [r.working_days_late for r in late if r.submitted_at is not None] == [1]
    mails = list((tmp_path / "demo" / "outbox").glob("*.eml"))
    assert len(mails) > 80
    kinds: Counter[str] = Counter()
    for path in mails:
        head = path.read_bytes().split(b"\n\n", 1)[0].replace(b"\r", b"").decode("ascii", "replace")
        for line in head.splitlines():
            if line.lower().startswith("x-shenbao-message-type:"):
                kinds[line.split(":", 1)[1].strip()] += 1
    for kind in (
        "submitted",
        "application_window_closing",
        "lapsed",
        "confirmed",
        "notice_published",
        "annual_report_open",
        "annual_report_overdue",
    ):
        assert kinds[kind] > 0, (kind, kinds)
