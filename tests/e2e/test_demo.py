"""The demo end to end (fewer applicants): every stage leaves its mark in the data and the mail."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import select

from services import queries
from store import audit
from store.review_models import AnnualReport


@pytest.mark.usefixtures("prefect_harness")
def test_demo_runs_a_whole_campaign(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from shenbao.demo import Demo

    monkeypatch.setenv("SHENBAO_DATABASE_URL", "sqlite://")  # replaced by the demo's own
    demo = Demo("liangrong-2021", tmp_path / "demo", Console(quiet=True))
    result = demo.run(80)
    states = Counter(a.state for a in queries.list_applications(demo.db, edition="liangrong-2021"))
    assert states["confirmed"] >= 5
    assert states["removed_after_notice"] == 1  # the upheld objection
    assert states["lapsed"] > 0 and states["not_shortlisted"] > 0
    assert result.events["late_submit:refused:RefuseLateSubmission"] > 0
    assert result.events["late_objection:refused:ObjectionOnlyDuringNotice"] == 1
    assert result.events["assign:refused:AvoidConflictOfInterest"] == 1
    assert any("入围线并列" in note for note in result.notes)
    from shenbao.demo import summary

    console = Console(record=True, width=200)
    summary(console, demo)
    printed = console.export_text()
    assert "各状态申报数" in printed and "各省份" in printed
    confirmed_row = next(line for line in printed.splitlines() if "│ confirmed" in line)
    assert confirmed_row.rstrip(" │").endswith(str(states["confirmed"]))
    assert "audit history" in printed
    with demo.db.sessions() as s:
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


@pytest.mark.usefixtures("prefect_harness")
def test_every_demo_message_states_its_policy_facts(tmp_path: Path) -> None:
    """All the demo's mail parsed back: each .ics titled by what ends at its instant, the report
    year edition B's reports cover, objection and overdue-digest mail sent, Chinese mail Chinese,
    never an opening and a 30-day reminder to the same address in the same minute."""
    import email
    import re
    from email.header import decode_header, make_header

    import icalendar

    from notifications.render import MESSAGE_TYPES
    from shenbao.demo import Demo

    demo = Demo("liangrong-2021", tmp_path / "demo", Console(quiet=True))
    demo.run(60)
    kinds: Counter[str] = Counter()
    opened_at: dict[str, str] = {}
    due_at: list[tuple[str, str]] = []
    for path in (tmp_path / "demo" / "outbox").glob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes())
        kind = msg["X-Shenbao-Message-Type"]
        kinds[kind] += 1
        subject = str(make_header(decode_header(msg["Subject"])))
        text = next(
            p.get_payload(decode=True).decode("utf-8")
            for p in msg.walk()
            if p.get_content_type() == "text/plain"
        )
        assert not re.search(r"\((beyond|the|quota)\b", text), (kind, text)
        for part in msg.walk():
            if part.get_content_type() == "text/calendar":
                cal = icalendar.Calendar.from_ical(part.get_payload(decode=True))
                (event,) = [c for c in cal.walk() if c.name == "VEVENT"]
                title = MESSAGE_TYPES[kind].event_zh
                assert str(event["summary"]).startswith(title), (kind, event["summary"])
                end = event.decoded("dtend")
                assert (end.hour, end.minute, end.second) == (0, 0, 0)  # a day's end, 24:00
        if kind in ("annual_report_open", "annual_report_due"):
            assert "2023年度" in subject  # edition B: the report due 2023-11-30 covers 2023
            if kind == "annual_report_open":
                opened_at[msg["To"]] = msg["Date"]
            else:
                due_at.append((msg["To"], msg["Date"]))
        if kind == "confirmed":
            assert "每年11月30日前报送本年度发展情况" in text and "上一年度" not in text
    assert kinds["objection_received"] == 4  # two filed, two resolved
    assert kinds["annual_report_overdue_digest"] >= 1
    assert not [to for to, date in due_at if opened_at.get(to) == date]
