"""Campaigns and applications: open, apply, submit, review, withdraw, list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from deadlines import format_instant
from shenbao import args
from shenbao.errors import fail, refusals
from shenbao.wiring import actor_from, lifecycle, now_from
from states.actors import Actor
from states.lifecycle import State

campaign_app = typer.Typer(help="Campaigns: one edition run for one program year.")

NOW = typer.Option(None, "--now", help="ISO 8601 instant to act at (default: the clock)")
AS = typer.Option(..., "--as", help="actor: enterprise:USCC, province:广东, group:NAME, ministry…")


@campaign_app.command("open")
def campaign_open(
    edition: str = typer.Argument(..., help="edition id, e.g. szzx-2026-2"),
    year: int | None = typer.Option(None, "--year", parser=args.cli(args.year, "--year")),
    window: str | None = typer.Option(
        None, "--window", help="application window 2026-05-27..2026-06-20 (default: the edition's)"
    ),
    screening: str | None = typer.Option(None, "--screening", help="provincial screening window"),
    actor: str = typer.Option("ministry", "--as"),
    now: str | None = NOW,
) -> None:
    """Open a campaign of EDITION and print its id."""
    with refusals():
        campaign = lifecycle().open_campaign(
            edition,
            now=now_from(now),
            actor=actor_from(actor),
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
    consortium: bool = typer.Option(False, "--consortium"),
    group: str | None = typer.Option(None, "--group", help="central enterprise group"),
    email: str | None = typer.Option(None, "--email", help="contact receiving the notices"),
    file: Path | None = typer.Option(None, "--file", help="form as .json, .yaml or .xlsx"),
    now: str | None = NOW,
) -> None:
    """Create a draft application; prints its id alone on the last line."""
    with refusals():
        form: dict[str, Any] | None = None
        if file is not None:
            form = load_form_file(file, edition, category)
        app_id = lifecycle().create_application(
            edition,
            uscc=org,
            name=name,
            province=province,
            category=category,
            consortium=consortium,
            group=group,
            email=email,
            form=form,
            now=now_from(now),
        )
    print(app_id)


def _app_id(text: str) -> int:
    return args.cli(args.record_id, "APP")(text)


def _fire(app: str, trigger: str, actor: Actor, now: str | None, reason: str | None) -> None:
    with refusals():
        result = lifecycle().trigger(
            _app_id(app), trigger, actor=actor, now=now_from(now), reason=reason
        )
    print(f"{result.application_id}: {result.from_state} -> {result.to_state}")


def submit(app: str = typer.Argument(...), actor: str = AS, now: str | None = NOW) -> None:
    """Submit a draft (the applicant only, within the application window)."""
    _fire(app, "submit", _parse_actor(actor), now, None)


def withdraw(app: str = typer.Argument(...), actor: str = AS, now: str | None = NOW) -> None:
    """Withdraw an application (the applicant only, before the decision)."""
    _fire(app, "withdraw", _parse_actor(actor), now, None)


REVIEW_TRIGGERS = {"recommend": "recommend", "return": "return_for_revision", "reject": "reject"}


def review(
    app: str = typer.Argument(...),
    decision: str = typer.Argument(..., help="recommend | return | reject"),
    actor: str = AS,
    reason: str | None = typer.Option(None, "--reason"),
    now: str | None = NOW,
) -> None:
    """Provincial (or group) review: recommend within quota, return for revision, or reject."""
    if decision not in REVIEW_TRIGGERS:
        fail(f"DECISION: '{decision}' is not one of recommend, return, reject")
    _fire(app, REVIEW_TRIGGERS[decision], _parse_actor(actor), now, reason)


def _parse_actor(text: str) -> Actor:
    with refusals():
        return actor_from(text)


def list_applications(
    edition: str | None = typer.Option(None, "--edition"),
    state: str | None = typer.Option(None, "--state"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List applications, optionally of one edition or in one state."""
    with refusals():
        if state is not None:
            try:
                State(state)
            except ValueError:
                raise ValueError(
                    f"--state: '{state}' is not a state ({', '.join(s.value for s in State)})"
                ) from None
        rows = lifecycle().list_applications(edition=edition, state=state)
    items = [
        {
            "id": a.id,
            "edition": c.edition_id,
            "year": c.year,
            "uscc": a.uscc,
            "name": a.name,
            "province": a.province,
            "group": a.group_name,
            "category": a.category,
            "consortium": a.consortium,
            "state": a.status,
            "state_zh": State(a.status).staff_name,
            "updated_at": format_instant(a.updated_at),
        }
        for a, c in rows
    ]
    if as_json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for i in items:
        print(
            f"{i['id']}\t{i['edition']}\t{i['province'] or i['group']}\t{i['category']}\t"
            f"{i['state']}\t{i['state_zh']}\t{i['name']}"
        )


def register(root: typer.Typer) -> None:
    root.add_typer(campaign_app, name="campaign")
    root.command("apply")(apply)
    root.command("submit")(submit)
    root.command("withdraw")(withdraw)
    root.command("review")(review)
    root.command("list")(list_applications)
