"""The raw form of a transition's write, shared by the benches' baselines: one version-checked
UPDATE of the application row per audit record, as executemany parameters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.sql.dml import Update


def transition_update(apps: Table) -> Update:
    """UPDATE application SET state, audit count and head, version, updated_at WHERE the id
    and the version read match (the engine's own optimistic check)."""
    return (
        update(apps)
        .where(apps.c.id == bindparam("b_id"), apps.c.version == bindparam("b_read"))
        .values(
            status=bindparam("b_status"),
            audit_count=bindparam("b_count"),
            audit_head=bindparam("b_head"),
            version=bindparam("b_version"),
            updated_at=bindparam("b_now"),
        )
    )


def transition_params(record: dict[str, Any], versions: dict[int, int]) -> dict[str, Any]:
    """The update's parameters for one audit record; the application's version moves on."""
    app_id = record["application_id"]
    read = versions[app_id]
    versions[app_id] = read + 1
    return {
        "b_id": app_id,
        "b_read": read,
        "b_status": record["to_state"] or record["from_state"],
        "b_count": record["seq"],
        "b_head": record["hash"],
        "b_version": read + 1,
        "b_now": record["at"],
    }
