"""The anchor log and `audit verify` against tampering by someone with write access to the database
(file SQLite and PostgreSQL). Each tampering first drops the triggers that stand in its way, as an
attacker holding the database's credentials would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import select, text

from deadlines import SHANGHAI
from states.actors import Actor
from states.rules import Refusal
from store import audit
from store.db import Database
from store.models import Application, AuditAnchor, AuditRecord
from store.service import Lifecycle
from store.transitions import Request
from tests.conftest import uscc, valid_form

MINISTRY = Actor.parse("ministry")
GD = Actor.parse("province:广东")
EDITION = "szzx-2026-2"


def t(text_: str) -> datetime:
    return datetime.fromisoformat(text_).replace(tzinfo=SHANGHAI)


OPEN = t("2026-05-27T09:00:00")
LATER = t("2026-06-02T09:00:00")
CLOSED = t("2026-06-21T00:00:00")


def new_app(lc: Lifecycle, n: int) -> tuple[int, Actor]:
    app_id = lc.create_application(
        EDITION,
        uscc=uscc(n),
        name=f"申报单位{n}",
        province="广东",
        category=None,
        email=f"u{n}@example.com",
        form=valid_form(EDITION, "center", uscc(n), f"申报单位{n}"),
        now=OPEN,
    )
    return app_id, Actor.parse(f"enterprise:{uscc(n)}")


@pytest.fixture
def life(db_url: str) -> Iterator[Lifecycle]:
    lc = Lifecycle(Database(db_url))
    lc.open_campaign(EDITION, now=t("2026-05-01T00:00:00"), actor=MINISTRY)
    yield lc
    lc.db.dispose()


def operator_act(db: Database, act: str, message: str) -> None:
    with db.transaction() as s:
        audit.append_operator(
            s,
            act=act,
            actor_role="ministry",
            actor_scope=None,
            accepted=True,
            rule="Accepted",
            message=message,
            at=OPEN,
        )


def anchors(db: Database) -> list[AuditAnchor]:
    with db.sessions() as s:
        return list(s.scalars(select(AuditAnchor).order_by(AuditAnchor.id)))


def row(db: Database, app_id: int) -> Application:
    with db.sessions() as s:
        app = s.get(Application, app_id)
        assert app is not None
        return app


def breaks(db: Database, against: audit.Checkpoint | None = None) -> list[audit.Break]:
    with db.sessions() as s:
        return list(audit.verify(s, against=against))


def checkpoint(db: Database) -> audit.Checkpoint:
    with db.sessions() as s:
        return audit.checkpoint(s)


def drop_guards(db: Database) -> None:
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            conn.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))
            conn.execute(text("DROP TRIGGER audit_anchor_append_only ON audit_anchor"))
        else:
            for name in ("audit_log", "audit_anchor"):
                conn.execute(text(f"DROP TRIGGER {name}_no_update"))
                conn.execute(text(f"DROP TRIGGER {name}_no_delete"))


@pytest.fixture
def three(life: Lifecycle) -> tuple[Lifecycle, list[int]]:
    """Three applications: one submitted alone, two in one batch, one refusal, one operator act."""
    made = [new_app(life, 700 + i) for i in range(3)]
    life.trigger(made[0][0], "submit", actor=made[0][1], now=OPEN)
    life.trigger_many([Request(a, "submit", me) for a, me in made[1:]], now=OPEN)
    with pytest.raises(Refusal):
        life.trigger(made[2][0], "recommend", actor=GD, now=LATER)  # before screening opens
    operator_act(life.db, "calendar_import", "2026 imported")
    life.trigger(made[1][0], "withdraw", actor=made[1][1], now=LATER)
    return life, [a for a, _ in made]


def test_every_path_is_anchored(three: tuple[Lifecycle, list[int]]) -> None:
    life, ids = three
    log = anchors(life.db)
    # genesis (migration), single submit, batch of two, refusal, operator act, withdraw
    assert [e.id for e in log] == [1, 2, 3, 4, 5, 6]
    assert log[0].heads == []
    assert [h[0] for h in log[2].heads] == sorted(audit.application_chain(i) for i in ids[1:])
    assert [h[0] for h in log[4].heads] == [audit.OPERATORS]
    for prev, entry in zip(log, log[1:], strict=False):
        assert entry.prev_digest == prev.digest and audit.anchor_digest(entry) == entry.digest
    latest: dict[str, tuple[int, str]] = {}
    for entry in log:
        latest.update({c: (n, h) for c, n, h in entry.heads})
    for app_id in ids:
        app = row(life.db, app_id)
        assert latest[audit.application_chain(app_id)] == (app.audit_count, app.audit_head)
    assert checkpoint(life.db) == audit.Checkpoint(6, log[-1].digest)
    assert breaks(life.db, against=audit.Checkpoint(3, log[2].digest)) == []
    # a transaction that writes no audit record writes no anchor
    with life.db.transaction() as s:
        s.get(Application, ids[0])
    assert len(anchors(life.db)) == 6


def test_tampered_state_is_named(three: tuple[Lifecycle, list[int]]) -> None:
    life, ids = three
    assert breaks(life.db) == []
    with life.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE application SET status = 'confirmed' WHERE id = :i"), {"i": ids[0]}
        )
    found = breaks(life.db)
    assert [(b.application_id, b.record_id) for b in found] == [(ids[0], None)]
    assert "application says state confirmed, its log replays to submitted" in str(found[0])


def rehash(db: Database, app_id: int, edit: str) -> dict[str, str]:
    """Edit the first record of `app_id`, recompute its chain and move the head: old -> new hash."""
    moved: dict[str, str] = {}
    with db.sessions() as s:
        records = audit.history(s, app_id)
        rows = [{k: getattr(r, k) for k in (*audit.FIELDS, "id", "hash")} for r in records]
    rows[0]["actor_scope"] = edit
    prev = audit.GENESIS
    with db.engine.begin() as conn:
        for r in rows:
            new = audit.record_hash(prev, r)
            moved[r["hash"]] = new
            conn.execute(
                text(
                    "UPDATE audit_log SET actor_scope = :scope, prev_hash = :p, hash = :h "
                    "WHERE id = :i"
                ),
                {"scope": r["actor_scope"], "p": prev, "h": new, "i": r["id"]},
            )
            prev = new
        conn.execute(
            text("UPDATE application SET audit_head = :h WHERE id = :i"), {"h": prev, "i": app_id}
        )
    return moved


def test_rehashed_chain_is_named(three: tuple[Lifecycle, list[int]]) -> None:
    life, ids = three
    kept = checkpoint(life.db)
    life.trigger(ids[2], "withdraw", actor=Actor.parse(f"enterprise:{uscc(702)}"), now=LATER)
    drop_guards(life.db)
    rehash(life.db, ids[0], f"{uscc(999)}")
    first = row(life.db, ids[0])
    with life.db.sessions() as s:
        rec_id = s.scalar(select(AuditRecord.id).where(AuditRecord.application_id == ids[0]))
    for against in (None, kept):
        found = breaks(life.db, against)
        assert [(b.application_id, b.record_id) for b in found] == [(ids[0], rec_id)]
        assert "anchored in entry 2" in found[0].problem and "rewritten" in found[0].problem
    assert first.audit_count == 1  # the row and the chain agree: only the anchors tell


def test_rehashed_chain_and_anchor_log_need_the_checkpoint(
    three: tuple[Lifecycle, list[int]],
) -> None:
    life, ids = three
    kept = checkpoint(life.db)
    drop_guards(life.db)
    moved = rehash(life.db, ids[0], uscc(999))
    # the attacker rewrites every anchor entry with the moved heads, digests recomputed in order
    with life.db.sessions() as s:
        log = [
            {"id": e.id, "heads": e.heads, "recorded_at": e.recorded_at}
            for e in s.scalars(select(AuditAnchor).order_by(AuditAnchor.id))
        ]
    prev = audit.GENESIS
    with life.db.engine.begin() as conn:
        for e in log:
            e["heads"] = [[c, n, moved.get(h, h)] for c, n, h in e["heads"]]
            e["prev_digest"] = prev
            e["digest"] = audit.anchor_digest(e)
            conn.execute(
                text(
                    "UPDATE audit_anchor SET heads = :h, prev_digest = :p, digest = :d WHERE id = :i"
                ),
                {"h": json.dumps(e["heads"]), "p": prev, "d": e["digest"], "i": e["id"]},
            )
            prev = e["digest"]
    assert breaks(life.db) == []  # consistent everywhere: only an earlier checkpoint tells
    found = breaks(life.db, kept)
    assert [(b.chain, b.record_id) for b in found] == [(audit.ANCHOR_LOG, kept.seq)]
    assert f"does not reproduce checkpoint {kept}" in str(found[0])
    assert "anchor log record" in str(found[0])


def test_dropped_last_record_with_head_moved_back_is_named(
    three: tuple[Lifecycle, list[int]],
) -> None:
    life, ids = three
    kept = checkpoint(life.db)
    victim = ids[2]  # submitted, then a refused recommend: dropping the refusal keeps the state
    drop_guards(life.db)
    with life.db.sessions() as s:
        records = audit.history(s, victim)
    assert [r.accepted for r in records] == [True, False]
    with life.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :i"), {"i": records[-1].id})
        conn.execute(
            text("UPDATE application SET audit_count = 1, audit_head = :h WHERE id = :i"),
            {"h": records[0].hash, "i": victim},
        )
    found = breaks(life.db, kept)
    assert [(b.application_id, b.record_id) for b in found] == [(victim, None)]
    assert "records 2 records" in found[0].problem and "the log has 1" in found[0].problem
    assert "records were removed" in str(found[0]) and f"application {victim}" in str(found[0])


def test_wiped_chain_is_named(three: tuple[Lifecycle, list[int]]) -> None:
    life, ids = three
    kept = checkpoint(life.db)
    victim = ids[1]
    drop_guards(life.db)
    with life.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE application_id = :i"), {"i": victim})
        conn.execute(
            text(
                "UPDATE application SET audit_count = 0, audit_head = '', status = 'draft' "
                "WHERE id = :i"
            ),
            {"i": victim},
        )
    found = breaks(life.db, kept)
    assert [b.application_id for b in found] == [victim]
    assert "the log has 0: the chain was wiped" in str(found[0])


def test_removed_anchor_entries_are_named(three: tuple[Lifecycle, list[int]]) -> None:
    life, _ids = three
    kept = checkpoint(life.db)
    drop_guards(life.db)
    with life.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_anchor WHERE id = :i"), {"i": kept.seq})
    found = breaks(life.db, kept)
    assert any(
        b.chain == audit.ANCHOR_LOG and f"before checkpoint {kept.seq}" in b.problem for b in found
    )
    # the chain last anchored in the removed entry has more records than the anchors now say
    assert any(b.application_id is not None and "outside the system" in b.problem for b in found)


def test_cli_checkpoint_and_verify_against(
    three: tuple[Lifecycle, list[int]], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from shenbao import wiring
    from shenbao.cli import app

    life, ids = three
    monkeypatch.setenv("SHENBAO_DATABASE_URL", db_url)
    wiring._database.cache_clear()
    runner = CliRunner()
    cp = runner.invoke(app, ["audit", "checkpoint"])
    assert cp.exit_code == 0, cp.output
    kept = cp.stdout.strip()
    assert kept == str(checkpoint(life.db)) and kept.startswith("6:")
    as_json = json.loads(runner.invoke(app, ["audit", "checkpoint", "--json"]).stdout)
    assert as_json["checkpoint"] == kept and as_json["seq"] == 6
    ok = runner.invoke(app, ["audit", "verify", "--against", kept])
    assert ok.exit_code == 0 and "checkpoint 6 reproduced" in ok.stdout
    bad = runner.invoke(app, ["audit", "verify", "--against", "6:abc"])
    assert bad.exit_code == 2
    assert bad.output.strip().count("\n") == 0 and "--against: '6:abc' is not a checkpoint" in (
        bad.output
    )
    with life.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE application SET status = 'confirmed' WHERE id = :i"), {"i": ids[0]}
        )
    broken = runner.invoke(app, ["audit", "verify", "--against", kept])
    assert broken.exit_code == 1 and f"application {ids[0]}:" in broken.stdout
    refused = runner.invoke(app, ["audit", "checkpoint"])
    assert refused.exit_code == 1 and f"application {ids[0]}" in refused.stdout
    wiring._database.cache_clear()


def test_concurrent_writers_anchor_in_one_sequence(life: Lifecycle) -> None:
    from concurrent.futures import ThreadPoolExecutor

    made = [new_app(life, 800 + i) for i in range(4)]

    def work(n: int) -> None:
        app_id, me = made[n]
        life.trigger(app_id, "submit", actor=me, now=OPEN)
        operator_act(life.db, "notify_send", f"batch {n}")
        life.trigger(app_id, "withdraw", actor=me, now=LATER)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(work, range(4)))
    log = anchors(life.db)
    assert [e.id for e in log] == list(range(1, 14))
    assert breaks(life.db, checkpoint(life.db)) == []
