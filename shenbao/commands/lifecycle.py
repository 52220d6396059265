"""Campaigns and applications: open, apply, submit, review, withdraw, list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from shenbao import args
from shenbao.commands.common import (
    NOW,
    acting,
    app_id,
    as_option,
    authorized,
    db,
    now_at,
    read_db,
)
from shenbao.errors import fail, refusals

campaign_app = typer.Typer(help="Campaigns: one edition run for one program year.")


@campaign_app.command("open")
def campaign_open(
    edition: str = typer.Argument(..., help="edition id, e.g. szzx-2026-2"),
    year: int | None = typer.Option(None, "--year", parser=args.cli(args.year, "--year")),
    window: str | None = typer.Option(
        None, "--window", help="application window 2026-05-27..2026-06-20 (default: the edition's)"
    ),
    screening: str | None = typer.Option(None, "--screening", help="provincial screening window"),
    actor: str | None = as_option("campaign.open"),
    now: str | None = NOW,
) -> None:
    """Open a campaign of EDITION and print its id."""
    who = acting("campaign.open", actor)
    from services import handlers

    with refusals():
        campaign = handlers.open_campaign(
            db(),
            who,
            edition,
            now=now_at(now),
            year=args.campaign_year(edition, year),
            application_window=args.window(window, edition, year, "--window"),
            screening_window=args.window(screening, edition, year, "--screening"),
        )
    print(campaign.id)


def load_form_file(path: Path, edition_id: str, kind: str | None) -> dict[str, Any]:
    """A form from JSON, YAML or a filled .xlsx template, as JSON-safe data."""
    from programs.editions import load_edition
    from programs.forms import load_form_file as load
    from programs.forms import to_jsonable
    from programs.forms.resolve import forms_edition_id

    if not path.is_file():
        raise ValueError(f"--file: {path} does not exist")
    edition = load_edition(edition_id)
    if kind is None:
        if len(edition.categories) != 1:
            raise ValueError(
                f"--category: {edition.id} 需指明类别 (one of {', '.join(edition.category_ids)})"
            )
        kind = edition.categories[0].id
    return to_jsonable(load(path, forms_edition_id(edition), kind))


def apply(
    edition: str = typer.Argument(..., help="edition id"),
    org: str = typer.Option(..., "--org", help="统一社会信用代码 of the applicant"),
    name: str = typer.Option(..., "--name"),
    province: str | None = typer.Option(None, "--province", help="广东 or 440000"),
    category: str | None = typer.Option(None, "--category"),
    group: str | None = typer.Option(None, "--group", help="central enterprise group"),
    email: str | None = typer.Option(None, "--email", help="contact receiving the notices"),
    file: Path | None = typer.Option(
        None, "--file", help="form as .json, .yaml or .xlsx (a consortium lists its members)"
    ),
    actor: str | None = as_option("application.create"),
    now: str | None = NOW,
) -> None:
    """Create a draft application; prints its id alone on the last line."""
    who = acting("application.create", actor)
    authorized("application.create", who, now)
    from services import handlers

    with refusals():
        form: dict[str, Any] | None = None
        if file is not None:
            form = load_form_file(file, edition, category)
        new_id = handlers.create_application(
            db(),
            who,
            edition,
            uscc=org,
            name=name,
            province=province,
            category=category,
            group=group,
            email=email,
            form=form,
            now=now_at(now),
        )
    print(new_id)


def _fire(name: str, app: str, actor: str | None, now: str | None, reason: str | None) -> None:
    who = acting(name, actor)
    target = app_id(app)
    from services import handlers

    with refusals():
        if name in handlers.DECISIONS:
            result = handlers.review(db(), who, target, name, now=now_at(now), reason=reason)
        elif name == "submit":
            result = handlers.submit(db(), who, target, now=now_at(now))
        else:
            result = handlers.withdraw(db(), who, target, now=now_at(now))
    print(f"{result.application_id}: {result.from_state} -> {result.to_state}")


def submit(
    app: str = typer.Argument(...), actor: str | None = as_option("submit"), now: str | None = NOW
) -> None:
    """Submit a draft (the applicant only, within the application window)."""
    _fire("submit", app, actor, now, None)


def withdraw(
    app: str = typer.Argument(...),
    actor: str | None = as_option("withdraw"),
    now: str | None = NOW,
) -> None:
    """Withdraw an application (the applicant only, before the decision)."""
    _fire("withdraw", app, actor, now, None)


def review(
    app: str = typer.Argument(...),
    decision: str = typer.Argument(..., help="recommend | return | reject"),
    actor: str | None = as_option("recommend"),
    reason: str | None = typer.Option(None, "--reason"),
    now: str | None = NOW,
) -> None:
    """Provincial (or group) review: recommend within quota, return for revision, or reject."""
    if decision not in ("recommend", "return", "reject"):
        fail(f"DECISION: '{decision}' is not one of recommend, return, reject")
    _fire(decision, app, actor, now, reason)


def list_applications(
    edition: str | None = typer.Option(None, "--edition"),
    state: str | None = typer.Option(None, "--state"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List applications, optionally of one edition or in one state (read-only)."""
    from services import queries

    with refusals():
        rows = queries.list_applications(read_db(), edition=edition, state=state)
    from states.lifecycle import State

    names = {s.value: s.staff_name for s in State}
    if as_json:
        items = [
            {
                "id": a.id,
                "edition": a.edition,
                "year": a.year,
                "uscc": a.uscc,
                "name": a.name,
                "province": a.province,
                "group": a.group,
                "category": a.category,
                "consortium": a.consortium,
                "state": a.state,
                "state_zh": names[a.state],
                "updated_at": _instant(a.updated_at),
            }
            for a in rows
        ]
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return
    out = [
        f"{a.id}\t{a.edition}\t{a.province or a.group}\t{a.category}\t"
        f"{a.state}\t{names[a.state]}\t{a.name}"
        for a in rows
    ]
    if out:
        print("\n".join(out))


def _instant(instant: Any) -> str:
    """`2026-06-20 23:59:59 +08:00` (as deadlines.format_instant, without loading the calendar)."""
    from zoneinfo import ZoneInfo

    local = instant.astimezone(ZoneInfo("Asia/Shanghai"))
    return f"{local:%Y-%m-%d %H:%M:%S} +08:00"


def register(root: typer.Typer) -> None:
    root.add_typer(campaign_app, name="campaign")
    root.command("apply")(apply)
    root.command("submit")(submit)
    root.command("withdraw")(withdraw)
    root.command("review")(review)
    root.command("list")(list_applications)
