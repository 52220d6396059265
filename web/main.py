"""The ASGI application as uvicorn imports it (`uvicorn web.main:app`), configured from the env."""

from __future__ import annotations

from web.app import create_app

app = create_app()
