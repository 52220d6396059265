"""`shenbao db ...`: schema migrations."""

from __future__ import annotations

import typer

from shenbao.errors import refusals

app = typer.Typer(help="Database schema (Alembic migrations).")


@app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database named by SHENBAO_DATABASE_URL to the latest schema."""
    from services.wiring import settings
    from store.migrations import current, upgrade

    url = settings().database_url
    with refusals():
        upgrade(url)
        print(f"database at revision {current(url)}")
