"""The operators' audit trail on a real database (file SQLite and PostgreSQL): appended in the
caller's transaction, hash-chained, append-only in the ORM and in the database, verified."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import delete, select, text, update

from deadlines import SHANGHAI
from store import audit
from store.db import Database
from store.models import AuditChain, OperatorRecord

AT = datetime(2026, 12, 1, 9, 30, tzinfo=SHANGHAI)


@pytest.fixture
def db(db_url: str) -> Database:
    return Database(db_url)


def record_acts(db: Database) -> None:
    with db.transaction() as s:
        audit.append_operator(
            s,
            act="calendar_import",
            actor_role="ministry",
            actor_scope=None,
            accepted=True,
            rule="Accepted",
            message="2027年 部分节假日安排 imported",
            at=AT,
            details={"year": 2027, "file": "2027.toml"},
        )
    with db.transaction() as s:
        audit.append_operator(
            s,
            act="contacts_add",
            actor_role="province",
            actor_scope="广东/commerce",
            accepted=False,
            rule="RequireOperatorRole",
            message="contacts add: only ministry or system may change contacts",
            at=AT,
            reason="new address",
        )
    with db.transaction() as s:
        audit.append_operator(
            s,
            act="notify_send",
            actor_role="system",
            actor_scope=None,
            accepted=True,
            rule="Accepted",
            message="3 messages sent",
            at=AT,
        )


def test_records_chain_in_order_and_verify(db: Database) -> None:
    record_acts(db)
    with db.sessions() as s:
        records = audit.operator_history(s)
        chain = s.get(AuditChain, audit.OPERATORS)
        assert [r.seq for r in records] == [1, 2, 3]
        assert [r.act for r in records] == ["calendar_import", "contacts_add", "notify_send"]
        assert records[0].prev_hash == audit.GENESIS
        assert records[1].prev_hash == records[0].hash and records[2].prev_hash == records[1].hash
        assert records[1].actor_scope == "广东/commerce" and records[1].accepted is False
        assert records[0].details == {"year": 2027, "file": "2027.toml"}
        assert chain is not None and (chain.audit_count, chain.audit_head) == (3, records[2].hash)
        assert [r.seq for r in audit.operator_history(s, limit=2)] == [2, 3]
        assert [r.act for r in audit.operator_history(s, act="notify_send")] == ["notify_send"]
        assert list(audit.verify(s)) == []


def test_record_rolls_back_with_its_transaction(db: Database) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        with db.transaction() as s:
            audit.append_operator(
                s,
                act="contacts_remove",
                actor_role="ministry",
                actor_scope=None,
                accepted=True,
                rule="Accepted",
                message="removed",
                at=AT,
            )
            raise RuntimeError("boom")
    with db.sessions() as s:
        assert audit.operator_history(s) == []
        chain = s.get(AuditChain, audit.OPERATORS)
        assert chain is not None and chain.audit_count == 0


def test_application_layer_refuses_edits(db: Database) -> None:
    record_acts(db)
    with db.transaction() as s:
        rec = s.scalars(select(OperatorRecord)).first()
        assert rec is not None
        rec.message = "changed"
        with pytest.raises(audit.AuditTampering, match="operator_audit_log"):
            s.flush()
        s.rollback()
    with db.transaction() as s:
        rec = s.scalars(select(OperatorRecord)).first()
        s.delete(rec)
        with pytest.raises(audit.AuditTampering):
            s.flush()
        s.rollback()
    with db.transaction() as s:
        with pytest.raises(audit.AuditTampering, match="bulk"):
            s.execute(update(OperatorRecord).values(message="x"))
        with pytest.raises(audit.AuditTampering, match="bulk"):
            s.execute(delete(OperatorRecord.__table__))
        s.rollback()


def test_database_refuses_edits(db: Database) -> None:
    record_acts(db)
    for sql in ("UPDATE operator_audit_log SET message = 'x'", "DELETE FROM operator_audit_log"):
        with pytest.raises(Exception, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(text(sql))
    with db.sessions() as s:
        assert len(audit.operator_history(s)) == 3


def drop_operator_guards(db: Database) -> None:
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            conn.execute(text("DROP TRIGGER operator_audit_log_append_only ON operator_audit_log"))
        else:
            conn.execute(text("DROP TRIGGER operator_audit_log_no_update"))
            conn.execute(text("DROP TRIGGER operator_audit_log_no_delete"))


def test_raw_edit_is_named(db: Database) -> None:
    record_acts(db)
    drop_operator_guards(db)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE operator_audit_log SET actor_role = 'ministry' WHERE seq = 2"))
    with db.sessions() as s:
        rec_id = s.scalar(select(OperatorRecord.id).where(OperatorRecord.seq == 2))
        breaks = list(audit.verify(s))
    assert breaks, "an edited operator record must be detected"
    assert breaks[0].chain == audit.OPERATORS and breaks[0].record_id == rec_id
    assert "hash" in breaks[0].problem
    assert f"operators record {rec_id} (seq 2)" in str(breaks[0])


def test_dropped_last_record_is_named(db: Database) -> None:
    record_acts(db)
    drop_operator_guards(db)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM operator_audit_log WHERE seq = 3"))
    with db.sessions() as s:
        breaks = list(audit.verify(s))
    assert [b.chain for b in breaks] == [audit.OPERATORS, audit.OPERATORS]
    assert "chain says 3 records" in breaks[0].problem and "log has 2" in breaks[0].problem
    assert "records 3 records" in breaks[1].problem and "records were removed" in breaks[1].problem


def test_cli_lists_and_verifies(db_url: str, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from services import wiring
    from shenbao.cli import app

    record_acts(db)
    monkeypatch.setenv("SHENBAO_DATABASE_URL", db_url)
    wiring.reset()
    runner = CliRunner()
    listed = runner.invoke(app, ["audit", "operators", "--json"])
    assert listed.exit_code == 0, listed.output
    items = json.loads(listed.stdout)
    assert [(i["seq"], i["act"], i["accepted"]) for i in items] == [
        (1, "calendar_import", True),
        (2, "contacts_add", False),
        (3, "notify_send", True),
    ]
    assert (
        items[1]["actor"] == "province:广东/commerce" and items[1]["rule"] == "RequireOperatorRole"
    )
    text_out = runner.invoke(app, ["audit", "operators", "--act", "contacts_add"])
    assert text_out.exit_code == 0 and "✗ contacts_add" in text_out.stdout
    assert "notify_send" not in text_out.stdout
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0 and "3 operator records" in ok.stdout
    drop_operator_guards(db)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE operator_audit_log SET message = 'nothing' WHERE seq = 1"))
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "operators record" in broken.stdout and "seq 1" in broken.stdout
    wiring.reset()
