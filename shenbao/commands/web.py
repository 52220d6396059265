"""`shenbao web`: the web service on the embedded defaults (SQLite, mail to files), by uvicorn."""

from __future__ import annotations

import os

import typer

from shenbao.errors import refusals


def register(app: typer.Typer) -> None:
    app.command("web")(web)


def web(
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="processes (PostgreSQL)"),
    proxy: bool = typer.Option(False, "--behind-proxy", help="trust X-Forwarded-* (TLS proxy)"),
) -> None:
    """Serve the pages and /api/v1 at http://HOST:PORT (set SHENBAO_WEB_BASE_URL behind TLS)."""
    import uvicorn

    with refusals():
        from web.settings import WebSettings

        settings = WebSettings.from_env()  # refuses a simulated clock unless explicitly allowed
        if workers > 1 and settings.database_url.startswith("sqlite"):
            raise ValueError(
                "--workers: several workers need PostgreSQL (SHENBAO_DATABASE_URL); "
                "SQLite serialises writers in one process"
            )
        from shenbao.wiring import database

        database()  # migrate once before the workers start
    os.environ.setdefault("SHENBAO_WEB_BASE_URL", settings.base_url)
    print(f"shenbao web: {settings.base_url} (listening on http://{host}:{port})")
    uvicorn.run(
        "web.main:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=proxy,
        forwarded_allow_ips="*" if proxy else None,
        log_level="info",
    )
