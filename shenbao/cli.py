"""The `shenbao` command line: one Typer app, each command group in shenbao.commands."""

from __future__ import annotations

import typer

from shenbao.commands import (
    audit,
    calendar,
    campaigns,  # noqa: F401  (registers campaign list/show)
    db,
    forms,
    lifecycle,
    notify,
    orchestration,
    review,
    states,
)

app = typer.Typer(
    help="shenbao 申报: runs government program application campaigns end to end.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(calendar.app, name="calendar")
app.add_typer(db.app, name="db")
app.add_typer(audit.app, name="audit")
app.add_typer(states.app, name="states")
lifecycle.register(app)
review.register(app)
forms.register(app)
notify.register(app)
orchestration.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
