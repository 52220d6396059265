"""The baseline route of `bench/rush_bench.py`: one authenticated INSERT of a row the size of a
submission's audit record, through the same door (session or token, CSRF) as the real routes.

Mounted only when SHENBAO_WEB_BENCH=1 is set. Its table (`bench_insert`) is not part of the
schema: it is created on the first request, in the database the service runs on.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, Text, insert

from store.db import Database, UTCDateTime
from web.deps import Context, api_csrf, ctx, role
from web.principal import Principal

router = APIRouter(prefix="/bench", include_in_schema=False)
_meta = MetaData()
bench_insert = Table(
    "bench_insert",
    _meta,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, nullable=False),
    Column("application_id", Integer, nullable=False),
    Column("actor", String(120), nullable=False),
    Column("rule", String(60), nullable=False),
    Column("message", Text, nullable=False),
    Column("details", JSON, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)
_created: set[str] = set()
_lock = threading.Lock()


def enabled() -> bool:
    return (os.environ.get("SHENBAO_WEB_BENCH") or "").strip().lower() in ("1", "true", "yes")


def mount_if_enabled(app: FastAPI) -> None:
    if enabled():
        app.include_router(router)


def _ensure_table(db: Database) -> None:
    if db.url in _created:
        return
    with _lock:
        if db.url not in _created:
            _meta.create_all(db.engine, checkfirst=True)
            _created.add(db.url)


@router.post("/insert/{app_id}", status_code=201, dependencies=[Depends(api_csrf)])
def insert_one(
    app_id: int, who: Principal = Depends(role("enterprise")), c: Context = Depends(ctx)
) -> dict[str, Any]:
    """One row of about an audit record's size, in one unit of work, stamped with the clock."""
    db = c.services.db
    _ensure_table(db)
    now: datetime = c.now()
    with db.transaction() as s:
        s.execute(
            insert(bench_insert).values(
                account_id=who.account_id,
                application_id=app_id,
                actor=who.actor_text,
                rule="Accepted",
                message=f"申报 {app_id} 已提交 (submitted by {who.actor_text})",
                details={"window": "application", "form_version": 1, "via": who.via},
                at=now,
            )
        )
    return {"application_id": app_id, "accepted": True}
