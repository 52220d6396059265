"""After the provincial review: `shenbao scoring|notice|reports|recert ...`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from shenbao import args
from shenbao.commands.common import (
    FORCE,
    JSON,
    NOW,
    YEAR,
    acting,
    as_option,
    authorized,
    db,
    now_at,
    print_results,
    read_db,
)
from shenbao.commands.common import app_id as _app_id
from shenbao.errors import refusals

REPORT_YEAR = typer.Argument(
    ..., help="the year reported on", parser=args.cli(args.year, "REPORT_YEAR")
)
MAX_FILE_BYTES = 256 * 1024  # a scoring sheet, a set of scores or a report: a few kilobytes

scoring_app = typer.Typer(help="Expert scoring: sheet, experts, scores, ranking, shortlist.")
notice_app = typer.Typer(help="公示: publish the shortlist, objections, close, export.")
reports_app = typer.Typer(help="Annual reports of confirmed titles.")
recert_app = typer.Typer(help="Recertification (复审) every cycle: open, renew, revoke.")


def _review() -> Any:
    from store.review import Review
    from store.service import Lifecycle

    return Review(Lifecycle(read_db()))


def format_instant(instant: Any) -> str:
    from deadlines.timeutil import format_instant as fmt

    return fmt(instant)


def _handlers() -> Any:
    from services import handlers

    return handlers


def _load_mapping(path: Path, field: str) -> dict[str, Any]:
    """A mapping from a .json or .yaml/.yml file, through the one loader (programs.safeload)."""
    from programs.safeload import load_mapping

    return load_mapping(path, field=field, max_bytes=MAX_FILE_BYTES)


_print_results = print_results


def _dump(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# ---------------------------------------------------------------------------------- scoring


@scoring_app.command("sheet")
def scoring_sheet(
    edition: str = typer.Argument(..., help="edition id"),
    file: Path = typer.Argument(..., help="sheet as .json or .yaml"),
    year: int | None = YEAR,
    actor: str | None = as_option("scoring.sheet"),
    now: str | None = NOW,
) -> None:
    """Define the campaign's scoring sheet (criteria, aggregation, avoidance, default cut)."""
    who = acting("scoring.sheet", actor)
    authorized("scoring.sheet", who, now)
    with refusals():
        data = args.scoring_sheet(_load_mapping(file, "FILE"))
        sheet = _handlers().define_sheet(db(), who, edition, data, now=now_at(now), year=year)
    avoid = "on" if sheet.conflict_same_province else "off"
    print(
        f"{edition}: {len(sheet.criteria)} criteria, aggregation {sheet.aggregation}, "
        f"same-province avoidance {avoid}"
    )


@scoring_app.command("open")
def scoring_open(
    edition: str = typer.Argument(..., help="edition id"),
    year: int | None = YEAR,
    actor: str | None = as_option("scoring.open"),
    now: str | None = NOW,
) -> None:
    """Move every recommended application of the campaign into expert scoring."""
    who = acting("scoring.open", actor)
    with refusals():
        results = _handlers().open_scoring(db(), who, edition, now=now_at(now), year=year)
    _print_results(results)


@scoring_app.command("assign")
def scoring_assign(
    app: str = typer.Argument(...),
    expert: str = typer.Argument(..., help="expert id"),
    org: str | None = typer.Option(None, "--org", help="统一社会信用代码 of the expert's employer"),
    province: str | None = typer.Option(None, "--province", help="the expert's province"),
    actor: str | None = as_option("scoring.assign"),
    now: str | None = NOW,
) -> None:
    """Assign EXPERT to APP (an expert of the applicant's organisation is refused)."""
    who = acting("scoring.assign", actor)
    target = _app_id(app)
    with refusals():
        assignment = _handlers().assign_expert(
            db(), who, target, expert, now=now_at(now), org_uscc=org, province=province
        )
    print(assignment)


@scoring_app.command("replace")
def scoring_replace(
    app: str = typer.Argument(...),
    old: str = typer.Argument(..., help="the expert replaced"),
    new: str = typer.Argument(..., help="the new expert"),
    reason: str | None = typer.Option(None, "--reason"),
    org: str | None = typer.Option(None, "--org", help="the new expert's employer (USCC)"),
    province: str | None = typer.Option(None, "--province", help="the new expert's province"),
    actor: str | None = as_option("scoring.replace"),
    now: str | None = NOW,
) -> None:
    """Replace expert OLD by NEW on APP, with a reason."""
    who = acting("scoring.replace", actor)
    target = _app_id(app)
    with refusals():
        assignment = _handlers().replace_expert(
            db(), who, target, old, new,
            now=now_at(now), reason=reason, org_uscc=org, province=province,
        )  # fmt: skip
    print(assignment)


@scoring_app.command("score")
def scoring_score(
    app: str = typer.Argument(...),
    file: Path | None = typer.Option(None, "--file", help="scores as .json or .yaml"),
    points: list[str] = typer.Option([], "--set", help="criterion=points (repeatable)"),
    expert: str | None = typer.Option(None, "--expert", help="expert id (default: from --as)"),
    actor: str | None = as_option("scoring.score"),
    now: str | None = NOW,
) -> None:
    """Submit an expert's scores for APP, validated against the sheet."""
    who = acting("scoring.score", actor)
    target = _app_id(app)
    authorized("scoring.score", who, now, target)
    with refusals():
        scores: dict[str, Any] = _load_mapping(file, "--file") if file is not None else {}
        for item in points:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise ValueError(f"--set: '{item}' is not criterion=points")
            scores[key.strip()] = value.strip()
        expert_id = expert or who.scope
        if not expert_id:
            raise ValueError("--expert: name the expert (or act --as expert:ID)")
        total = _handlers().submit_score(
            db(), who, target, args.scores(scores), now=now_at(now), expert_id=expert_id
        )
    print(f"{app}: expert {expert_id} total {total}")


@scoring_app.command("rank")
def scoring_rank(
    edition: str = typer.Argument(..., help="edition id"),
    year: int | None = YEAR,
    as_json: bool = JSON,
) -> None:
    """The ranking per category (complete applications first, then those still being scored)."""
    with refusals():
        review = _review()
        ranking = review.rank(review.campaign_id(edition, year))
    if as_json:
        _dump({c: [r.to_dict() for r in rows] for c, rows in ranking.items()})
        return
    for category, rows in ranking.items():
        for r in rows:
            place = str(r.rank) if r.rank is not None else "-"
            score = str(r.score) if r.score is not None else "-"
            mark = "" if r.complete else f"  (incomplete: {r.detail})"
            print(
                f"{category}\t{place}\t{score}\t{r.app_id}\t{r.province or ''}\t{r.state}\t"
                f"{r.name}{mark}"
            )


@scoring_app.command("shortlist")
def scoring_shortlist(
    edition: str = typer.Argument(..., help="edition id"),
    top_k: int | None = typer.Option(
        None, "--top-k", help="places per category", parser=args.cli(args.count, "--top-k")
    ),
    min_score: str | None = typer.Option(
        None,
        "--min-score",
        help="minimum score (不低于)",
        parser=args.cli(args.points, "--min-score"),
    ),
    year: int | None = YEAR,
    actor: str | None = as_option("scoring.shortlist"),
    now: str | None = NOW,
    as_json: bool = JSON,
) -> None:
    """Cut the ranking; ties at the cut are listed for the coordinator, never decided here."""
    who = acting("scoring.shortlist", actor)
    with refusals():
        outcome = _handlers().shortlist(
            db(), who, edition, now=now_at(now), top_k=top_k, min_score=min_score, year=year
        )
    if as_json:
        _dump(outcome.to_dict())
        return
    data = outcome.to_dict()
    print(f"cut: top_k={data['top_k']} min_score={data['min_score']}")
    print(f"shortlisted: {', '.join(map(str, data['shortlisted'])) or '-'}")
    print(f"not shortlisted: {', '.join(map(str, data['not_shortlisted'])) or '-'}")
    if outcome.held:
        print("held in scoring (refused, audited):")
        for app_id, why in outcome.held.items():
            print(f"  {app_id}: {why}")
    if outcome.waiting:
        print(f"waiting for the held ones: {', '.join(map(str, outcome.waiting))}")
    if outcome.ties:
        print("ties to decide:")
        for tie in outcome.ties:
            ids = " ".join(map(str, tie.app_ids))
            print(
                f"  {tie.category}: applications {', '.join(map(str, tie.app_ids))} tied at "
                f"{tie.score} for {tie.slots_left} place(s); decide with "
                f"`shenbao scoring resolve-tie {edition} {tie.category} <APP>...` (of {ids})"
            )


@scoring_app.command("resolve-tie")
def scoring_resolve_tie(
    edition: str = typer.Argument(..., help="edition id"),
    category: str = typer.Argument(...),
    chosen: list[str] = typer.Argument(..., help="the tied applications chosen"),
    year: int | None = YEAR,
    actor: str | None = as_option("scoring.resolve_tie"),
    now: str | None = NOW,
) -> None:
    """Shortlist CHOSEN among the applications tied at the cut of CATEGORY; decline the rest."""
    who = acting("scoring.resolve_tie", actor)
    picked = [_app_id(c) for c in chosen]
    with refusals():
        results = _handlers().resolve_tie(
            db(), who, edition, category, picked, now=now_at(now), year=year
        )
    _print_results(results)


# ----------------------------------------------------------------------------------- notice


@notice_app.command("publish")
def notice_publish(
    edition: str = typer.Argument(..., help="edition id"),
    at: str | None = typer.Option(None, "--at", help="publication instant (default: --now)"),
    year: int | None = YEAR,
    actor: str | None = as_option("notice.publish"),
    now: str | None = NOW,
) -> None:
    """Publish the shortlist for 公示; the period is counted in official working days."""
    who = acting("notice.publish", actor)
    with refusals():
        published = _handlers().publish_notice(
            db(), who, edition, now=now_at(now), at=now_at(at or now), year=year
        )
    accepted = [r.application_id for r in published.results if r.accepted]
    period = published.period
    print(
        f"notice {published.notice_id}: {period.first.isoformat()}..{period.last.isoformat()} "
        f"{period.label()}, objections until {format_instant(period.ends_at)} (exclusive); "
        f"applications {', '.join(map(str, accepted))}"
    )


@notice_app.command("object")
def notice_object(
    app: str = typer.Argument(...),
    contact: str = typer.Option(..., "--contact", help="the objector's contact"),
    reason: str = typer.Option(..., "--reason"),
    actor: str | None = as_option("notice.object"),
    now: str | None = NOW,
) -> None:
    """Record an objection (异议) to APP; accepted only while the notice period runs."""
    who = acting("notice.object", actor)
    target = _app_id(app)
    with refusals():
        objection = _handlers().file_objection(
            db(), who, target, contact=contact, reason=reason, now=now_at(now)
        )
    print(objection)


@notice_app.command("resolve")
def notice_resolve(
    objection: str = typer.Argument(..., help="objection id"),
    outcome: str = typer.Argument(..., help="upheld (成立) | dismissed (不成立)"),
    reason: str = typer.Option(..., "--reason"),
    actor: str | None = as_option("notice.resolve"),
    now: str | None = NOW,
) -> None:
    """Resolve an objection as upheld or dismissed, with a reason."""
    who = acting("notice.resolve", actor)
    target = _app_id(objection, "OBJECTION")
    with refusals():
        _handlers().resolve_objection(db(), who, target, outcome, reason=reason, now=now_at(now))
    print(f"objection {objection}: {outcome}")


@notice_app.command("close")
def notice_close(
    edition: str = typer.Argument(..., help="edition id"),
    year: int | None = YEAR,
    actor: str | None = as_option("notice.close"),
    now: str | None = NOW,
    as_json: bool = JSON,
) -> None:
    """After the period: confirm, remove (objection upheld), or hold (objection unresolved)."""
    who = acting("notice.close", actor)
    with refusals():
        outcome = _handlers().close_notice(db(), who, edition, now=now_at(now), year=year)
    if as_json:
        _dump(outcome.to_dict())
        return
    print(f"confirmed: {', '.join(map(str, outcome.confirmed)) or '-'}")
    print(f"removed: {', '.join(map(str, outcome.removed)) or '-'}")
    for app_id, why in {**outcome.held, **outcome.running}.items():
        print(f"held {app_id}: {why}")


@notice_app.command("results")
def notice_results(
    edition: str = typer.Argument(..., help="edition id (one that holds no 公示)"),
    year: int | None = YEAR,
    actor: str | None = as_option("notice.results"),
    now: str | None = NOW,
) -> None:
    """Editions without 公示 (推介): confirm the shortlist as the results announced."""
    who = acting("notice.results", actor)
    with refusals():
        results = _handlers().confirm_results(db(), who, edition, now=now_at(now), year=year)
    _print_results(results)


@notice_app.command("export")
def notice_export(
    edition: str = typer.Argument(..., help="edition id"),
    xlsx: Path | None = typer.Option(None, "--xlsx", help="write the list as .xlsx"),
    html: Path | None = typer.Option(None, "--html", help="write the list as a plain HTML page"),
    year: int | None = YEAR,
    force: bool = FORCE,
) -> None:
    """Export the latest notice list (name, province, category)."""
    with refusals():
        review = _review()
        written = review.export_notice(
            review.campaign_id(edition, year), xlsx=xlsx, html_path=html, force=force
        )
    for path in written:
        print(path)


# ---------------------------------------------------------------------------------- reports


@reports_app.command("open")
def reports_open(
    edition: str = typer.Argument(..., help="edition id"),
    report_year: int = REPORT_YEAR,
    actor: str | None = as_option("reports.open"),
    now: str | None = NOW,
    as_json: bool = JSON,
) -> None:
    """Open the report on REPORT_YEAR for every active title of EDITION."""
    who = acting("reports.open", actor)
    with refusals():
        opened = _handlers().open_reports(db(), who, edition, report_year, now=now_at(now))
    if as_json:
        _dump(
            {
                "report_year": opened.report_year,
                "due_date": opened.due_date.isoformat(),
                "opened": opened.opened,
                "skipped": {str(k): v for k, v in opened.skipped.items()},
            }
        )
        return
    print(
        f"report on {opened.report_year}, due {opened.due_date.isoformat()}: opened for "
        f"{', '.join(map(str, opened.opened)) or 'none'}"
    )
    for app_id, why in opened.skipped.items():
        print(f"skipped {app_id}: {why}")


@reports_app.command("submit")
def reports_submit(
    app: str = typer.Argument(...),
    report_year: int = REPORT_YEAR,
    file: Path = typer.Option(..., "--file", help="the report as .json or .yaml"),
    actor: str | None = as_option("reports.submit"),
    now: str | None = NOW,
) -> None:
    """Submit the report on REPORT_YEAR; a late one is accepted and marked overdue."""
    who = acting("reports.submit", actor)
    target = _app_id(app)
    authorized("reports.submit", who, now, target)
    with refusals():
        data = _load_mapping(file, "--file")
        done = _handlers().submit_report(db(), who, target, report_year, data, now=now_at(now))
    when = f"overdue: {done.working_days_late} working day(s) late" if done.overdue else "on time"
    print(f"{app}: report on {done.report_year} (due {done.due_date.isoformat()}) {when}")


@reports_app.command("overdue")
def reports_overdue(
    province: str | None = typer.Option(None, "--province", help="广东, 广东省 or 440000"),
    edition: str | None = typer.Option(None, "--edition"),
    include_submitted: bool = typer.Option(
        False, "--include-submitted", help="also list reports submitted late"
    ),
    now: str | None = NOW,
    as_json: bool = JSON,
) -> None:
    """Who is late: reports past their due day (working days late counted officially)."""
    with refusals():
        rows = _review().overdue(
            now=now_at(now),
            province=province,
            edition_id=edition,
            include_submitted=include_submitted,
        )
    if as_json:
        _dump([r.to_dict() for r in rows])
        return
    for r in rows:
        state = f"submitted {format_instant(r.submitted_at)}" if r.submitted_at else "not submitted"
        print(
            f"{r.app_id}\t{r.edition_id}\t{r.province or ''}\t{r.report_year}\t"
            f"due {r.due_date.isoformat()}\t{r.working_days_late} working day(s) late\t"
            f"{state}\t{r.name}"
        )


# ----------------------------------------------------------------------------------- recert


@recert_app.command("open")
def recert_open(
    app: str | None = typer.Argument(None, help="one application (default: every title due)"),
    edition: str | None = typer.Option(None, "--edition"),
    actor: str | None = as_option("recert.open"),
    now: str | None = NOW,
) -> None:
    """Open the recertification of APP, or of every title due by --now."""
    who = acting("recert.open", actor)
    target = _app_id(app) if app is not None else None
    with refusals():
        results = _handlers().open_recertification(
            db(), who, now=now_at(now), app_id=target, edition_id=edition
        )
    _print_results(results)


@recert_app.command("renew")
def recert_renew(
    app: str = typer.Argument(...),
    reason: str | None = typer.Option(None, "--reason"),
    actor: str | None = as_option("recert.renew"),
    now: str | None = NOW,
) -> None:
    """Recertification passed: a new term from today."""
    who = acting("recert.renew", actor)
    target = _app_id(app)
    with refusals():
        result = _handlers().renew(db(), who, target, now=now_at(now), reason=reason)
        title = _review().title(result.application_id)
    term = ""
    if title is not None:
        term = f" term {title.term_first}–{title.term_last}"
    print(f"{result.application_id}: {result.from_state} -> {result.to_state}{term}")


@recert_app.command("revoke")
def recert_revoke(
    app: str = typer.Argument(...),
    reason: str | None = typer.Option(None, "--reason"),
    actor: str | None = as_option("recert.revoke"),
    now: str | None = NOW,
) -> None:
    """Revoke the title (撤销称号) with a reason; annual reporting stops."""
    who = acting("recert.revoke", actor)
    target = _app_id(app)
    with refusals():
        result = _handlers().revoke(db(), who, target, now=now_at(now), reason=reason or "")
    print(f"{result.application_id}: {result.from_state} -> {result.to_state}")


def register(root: typer.Typer) -> None:
    root.add_typer(scoring_app, name="scoring")
    root.add_typer(notice_app, name="notice")
    root.add_typer(reports_app, name="reports")
    root.add_typer(recert_app, name="recert")
