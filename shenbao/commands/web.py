"""`shenbao web`: the web service on the embedded defaults (SQLite, mail to files), by uvicorn."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from shenbao.errors import refusals


def register(app: typer.Typer) -> None:
    app.command("web")(web)
    app.command("web-routes")(routes)


def routes() -> None:
    """Every route of the web service (pages and /api/v1), one per line."""
    from web.app import route_table

    for method, path in route_table():
        print(f"{method:<7}{path}")


def web(
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="processes (PostgreSQL)"),
    proxy: bool = typer.Option(False, "--behind-proxy", help="trust X-Forwarded-* (TLS proxy)"),
    demo: Path | None = typer.Option(
        None, "--demo", help="build a rehearsal in DIR where every role has something to do"
    ),
    access_log: bool = typer.Option(
        True, "--access-log/--no-access-log", help="one log line per request (uvicorn's)"
    ),
) -> None:
    """Serve the pages and /api/v1 at http://HOST:PORT (set SHENBAO_WEB_BASE_URL behind TLS)."""
    import uvicorn

    if demo is not None:
        _demo(demo, host, port)
        workers = 1
    with refusals():
        from web.settings import WebSettings

        settings = WebSettings.from_env()  # refuses a simulated clock unless explicitly allowed
        if workers > 1 and settings.database_url.startswith("sqlite"):
            raise ValueError(
                "--workers: several workers need PostgreSQL (SHENBAO_DATABASE_URL); "
                "SQLite serialises writers in one process"
            )
        from services.wiring import database

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
        access_log=access_log,
        **fast_server(),
    )


def fast_server() -> dict[str, str]:
    """uvicorn's compiled HTTP parser (httptools) when installed: a fraction of the CPU of the
    pure-Python h11 per request; without it uvicorn's default serves the same. The event loop
    stays asyncio's: under uvloop one worker took nearly every connection of a burst (the
    rush bench: 92% of the requests on one of two workers), asyncio's spread them evenly."""
    import importlib.util

    if importlib.util.find_spec("httptools") is not None:
        return {"http": "httptools", "loop": "asyncio"}
    return {"loop": "asyncio"}


def _demo(directory: Path, host: str, port: int) -> None:
    """The rehearsal: its own database, mail folder and simulated clock; one login per role."""
    from web.demo import NOW, prepare

    with refusals():
        db, clock, logins = prepare(directory)
        db.dispose()
    os.environ["SHENBAO_DATABASE_URL"] = f"sqlite:///{directory / 'shenbao.db'}"
    os.environ["SHENBAO_MAIL"] = f"file:{directory / 'outbox'}"
    os.environ["SHENBAO_WEB_CLOCK_FILE"] = str(clock)
    os.environ["SHENBAO_WEB_ALLOW_SIMULATED_CLOCK"] = "1"  # the rehearsal's own clock, asked for
    os.environ.setdefault("SHENBAO_WEB_BASE_URL", f"http://{host}:{port}")
    from services import wiring

    wiring.reset()
    print(f"rehearsal in {directory}; the clock stands at {NOW} (edit {clock} to move it)")
    for login in logins:
        print(f"  {login.role:<10} {login.email:<28} {login.password}   {login.what}")
    print("  public     (no sign-in)                 /public/notices: the running 公示, objections")
