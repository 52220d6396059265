"""The ASGI application as uvicorn imports it (`uvicorn web.main:app`), configured from the env."""

from __future__ import annotations

from web.app import create_app
from web.render import warm_up

app = create_app()
warm_up()  # each worker before its first request (tests build their apps with create_app)
