"""After the provincial review: `shenbao scoring|notice|reports|recert ...`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from deadlines import format_instant
from programs.safeload import load_mapping
from shenbao import args
from shenbao.errors import refusals
from shenbao.wiring import actor_from, lifecycle, now_from
from states.actors import Actor
from store.review import Review
from store.transitions import Result

scoring_app = typer.Typer(help="Expert scoring: sheet, experts, scores, ranking, shortlist.")
notice_app = typer.Typer(help="公示: publish the shortlist, objections, close, export.")
reports_app = typer.Typer(help="Annual reports of confirmed titles.")
recert_app = typer.Typer(help="Recertification (复审) every cycle: open, renew, revoke.")

NOW = typer.Option(None, "--now", help="ISO 8601 instant to act at (default: the clock)")
AS_MINISTRY = typer.Option("ministry", "--as", help="actor (default: ministry)")
AS = typer.Option(..., "--as", help="actor: expert:ID, enterprise:USCC, ministry…")
YEAR = typer.Option(
    None, "--year", help="campaign year (default: the latest)", parser=args.cli(args.year, "--year")
)
REPORT_YEAR = typer.Argument(
    ..., help="the year reported on", parser=args.cli(args.year, "REPORT_YEAR")
)
FORCE = typer.Option(False, "--force", help="replace an existing file")
JSON = typer.Option(False, "--json", help="print JSON")
MAX_FILE_BYTES = 256 * 1024  # a scoring sheet, a set of scores or a report: a few kilobytes


def _review() -> Review:
    return Review(lifecycle())


def _actor(text: str) -> Actor:
    with refusals():
        return actor_from(text)


def _app_id(text: str, field: str = "APP") -> int:
    return args.cli(args.record_id, field)(text)


def _load_mapping(path: Path, field: str) -> dict[str, Any]:
    """A mapping from a .json or .yaml/.yml file, through the one loader (programs.safeload)."""
    return load_mapping(path, field=field, max_bytes=MAX_FILE_BYTES)


def _print_results(results: list[Result]) -> None:
    for r in results:
        if r.accepted:
            print(f"{r.application_id}: {r.from_state} -> {r.to_state}")
        else:
            print(f"{r.application_id}: refused [{r.rule}] {r.message}")


def _dump(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# ---------------------------------------------------------------------------------- scoring


@scoring_app.command("sheet")
def scoring_sheet(
    edition: str = typer.Argument(..., help="edition id"),
    file: Path = typer.Argument(..., help="sheet as .json or .yaml"),
    year: int | None = YEAR,
    actor: str = AS_MINISTRY,
    now: str | None = NOW,
) -> None:
    """Define the campaign's scoring sheet (criteria, aggregation, avoidance, default cut)."""
    with refusals():
        review = _review()
        campaign = review.campaign_id(edition, year)
        data = args.scoring_sheet(_load_mapping(file, "FILE"))
        sheet = review.define_sheet(campaign, data, actor=_actor(actor), now=now_from(now))
    avoid = "on" if sheet.conflict_same_province else "off"
    print(
        f"campaign {campaign}: {len(sheet.criteria)} criteria, aggregation {sheet.aggregation}, "
        f"same-province avoidance {avoid}"
    )


@scoring_app.command("open")
def scoring_open(
    edition: str = typer.Argument(..., help="edition id"),
    year: int | None = YEAR,
    actor: str = AS_MINISTRY,
    now: str | None = NOW,
) -> None:
    """Move every recommended application of the campaign into expert scoring."""
    with refusals():
        review = _review()
        results = review.open_scoring(
            review.campaign_id(edition, year), now=now_from(now), actor=_actor(actor)
        )
    _print_results(results)


@scoring_app.command("assign")
def scoring_assign(
    app: str = typer.Argument(...),
    expert: str = typer.Argument(..., help="expert id"),
    org: str | None = typer.Option(None, "--org", help="统一社会信用代码 of the expert's employer"),
    province: str | None = typer.Option(None, "--province", help="the expert's province"),
    actor: str = AS_MINISTRY,
    now: str | None = NOW,
) -> None:
    """Assign EXPERT to APP (an expert of the applicant's organisation is refused)."""
    with refusals():
        assignment = _review().assign_expert(
            _app_id(app),
            expert_id=expert,
            org_uscc=org,
            province=province,
            actor=_actor(actor),
            now=now_from(now),
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
    actor: str = AS_MINISTRY,
    now: str | None = NOW,
) -> None:
    """Replace expert OLD by NEW on APP, with a reason."""
    with refusals():
        assignment = _review().replace_expert(
            _app_id(app),
            old,
            new_expert_id=new,
            org_uscc=org,
            province=province,
            reason=reason,
            actor=_actor(actor),
            now=now_from(now),
        )
    print(assignment)


@scoring_app.command("score")
def scoring_score(
    app: str = typer.Argument(...),
    file: Path | None = typer.Option(None, "--file", help="scores as .json or .yaml"),
    points: list[str] = typer.Option([], "--set", help="criterion=points (repeatable)"),
    expert: str | None = typer.Option(None, "--expert", help="expert id (default: from --as)"),
    actor: str = AS,
    now: str | None = NOW,
) -> None:
    """Submit an expert's scores for APP, validated against the sheet."""
    who = _actor(actor)
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
        total = _review().submit_score(
            _app_id(app),
            expert_id=expert_id,
            scores=args.scores(scores),
            actor=who,
            now=now_from(now),
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
    actor: str = AS_MINISTRY,
    now: str | None = NOW,
    as_json: bool = JSON,
) -> None:
    """Cut the ranking; ties at the cut are listed for the coordinator, never decided here."""
    with refusals():
        review = _review()
        outcome = review.shortlist(
            review.campaign_id(edition, year),
            top_k=top_k,
            min_score=min_score,
            actor=_actor(actor),
            now=now_from(now),
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
    actor: str = AS_MINISTRY,
    now: str | None = NOW,
) -> None:
    """Shortlist CHOSEN among the applications tied at the cut of CATEGORY; decline the rest."""
    with refusals():
        review = _review()
        results = review.resolve_tie(
            review.campaign_id(edition, year),
            category,
            [_app_id(c) for c in chosen],
            actor=_actor(actor),
            now=now_from(now),
        )
    _print_results(results)


# ----------------------------------------------------------------------------------- notice


@notice_app.command("publish")
def notice_publish(
    edition: str = typer.Argument(..., help="edition id"),
    at: str | None = typer.Option(None, "--at", help="publication instant (default: --now)"),
    year: int | None = YEAR,
    actor: str = AS_MINISTRY,
    now: str | None = NOW,
) -> None:
    """Publish the shortlist for 公示; the period is counted in official working days."""
    with refusals():
        review = _review()
        published = review.publish_notice(
            review.campaign_id(edition, year),
            at=now_from(at or now),
            actor=_actor(actor),
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
    actor: str = AS_MINISTRY,
    now: str | None = NOW,
) -> None:
    """Record an objection (异议) to APP; accepted only while the notice period runs."""
    with refusals():
        objection = _review().file_objection(
            _app_id(app), contact=contact, reason=reason, actor=_actor(actor), now=now_from(now)
        )
    print(objection)


@notice_app.command("resolve")
def notice_resolve(
    objection: str = typer.Argument(..., help="objection id"),
    outcome: str = typer.Argument(..., help="upheld (成立) | dismissed (不成立)"),
    reason: str = typer.Option(..., "--reason"),
    actor: str = AS_MINISTRY,
    now: str | None = NOW,
) -> None:
    """Resolve an objection as upheld or dismissed, with a reason."""
    with refusals():
        _review().resolve_objection(
            _app_id(objection, "OBJECTION"),
            outcome,
            reason=reason,
            actor=_actor(actor),
            now=now_from(now),
        )
    print(f"objection {objection}: {outcome}")


@notice_app.command("close")
def notice_close(
    edition: str = typer.Argument(..., help="edition id"),
    year: int | None = YEAR,
    actor: str = AS_MINISTRY,
    now: str | None = NOW,
    as_json: bool = JSON,
) -> None:
    """After the period: confirm, remove (objection upheld), or hold (objection unresolved)."""
    with refusals():
        review = _review()
        outcome = review.close_notice(
            review.campaign_id(edition, year), actor=_actor(actor), now=now_from(now)
        )
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
    actor: str = AS_MINISTRY,
    now: str | None = NOW,
) -> None:
    """Editions without 公示 (推介): confirm the shortlist as the results announced."""
    with refusals():
        review = _review()
        results = review.confirm_results(
            review.campaign_id(edition, year), actor=_actor(actor), now=now_from(now)
        )
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
    actor: str = AS_MINISTRY,
    now: str | None = NOW,
    as_json: bool = JSON,
) -> None:
    """Open the report on REPORT_YEAR for every active title of EDITION."""
    with refusals():
        opened = _review().open_reports(
            edition, report_year, actor=_actor(actor), now=now_from(now)
        )
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
    actor: str = AS,
    now: str | None = NOW,
) -> None:
    """Submit the report on REPORT_YEAR; a late one is accepted and marked overdue."""
    who = _actor(actor)
    with refusals():
        data = _load_mapping(file, "--file")
        done = _review().submit_report(
            _app_id(app), report_year, data, actor=who, now=now_from(now)
        )
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
            now=now_from(now),
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
    actor: str = AS_MINISTRY,
    now: str | None = NOW,
) -> None:
    """Open the recertification of APP, or of every title due by --now."""
    with refusals():
        results = _review().open_recertification(
            actor=_actor(actor),
            now=now_from(now),
            app_id=_app_id(app) if app is not None else None,
            edition_id=edition,
        )
    _print_results(results)


@recert_app.command("renew")
def recert_renew(
    app: str = typer.Argument(...),
    reason: str | None = typer.Option(None, "--reason"),
    actor: str = AS_MINISTRY,
    now: str | None = NOW,
) -> None:
    """Recertification passed: a new term from today."""
    with refusals():
        review = _review()
        result = review.renew(_app_id(app), reason=reason, actor=_actor(actor), now=now_from(now))
        title = review.title(result.application_id)
    term = ""
    if title is not None:
        term = f" term {title.term_first}–{title.term_last}"
    print(f"{result.application_id}: {result.from_state} -> {result.to_state}{term}")


@recert_app.command("revoke")
def recert_revoke(
    app: str = typer.Argument(...),
    reason: str | None = typer.Option(None, "--reason"),
    actor: str = AS_MINISTRY,
    now: str | None = NOW,
) -> None:
    """Revoke the title (撤销称号) with a reason; annual reporting stops."""
    with refusals():
        result = _review().revoke(
            _app_id(app), reason=reason or "", actor=_actor(actor), now=now_from(now)
        )
    print(f"{result.application_id}: {result.from_state} -> {result.to_state}")


def register(root: typer.Typer) -> None:
    root.add_typer(scoring_app, name="scoring")
    root.add_typer(notice_app, name="notice")
    root.add_typer(reports_app, name="reports")
    root.add_typer(recert_app, name="recert")
