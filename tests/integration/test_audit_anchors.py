"""The anchor log and `audit verify` against tampering by someone with write access to the database
(file SQLite and PostgreSQL). Each tampering first drops the triggers that stand in its way, as an
attacker holding the database's credentials would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

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


def entry_of(db: Database, chain: str, count: int) -> int:
    """The anchor entry that recorded `chain` reaching `count` records."""
    found = [e.id for e in anchors(db) if [chain, count] in [h[:2] for h in e.heads]]
    assert len(found) == 1, (chain, count, found)
    return found[0]


def test_every_path_is_anchored(life: Lifecycle) -> None:
    """Each transaction that appends records adds one entry naming exactly the chains it changed:
    the engine's single and batched triggers, a refusal in its own transaction, an operator act."""
    assert [e.heads for e in anchors(life.db)] == [[]]  # the migration's genesis entry
    made = [new_app(life, 700 + i) for i in range(3)]
    ids = [a for a, _ in made]

    before = len(anchors(life.db))
    life.trigger(ids[0], "submit", actor=made[0][1], now=OPEN)
    single = anchors(life.db)[before:]
    before += len(single)
    life.trigger_many([Request(a, "submit", me) for a, me in made[1:]], now=OPEN)
    batch = anchors(life.db)[before:]
    before += len(batch)
    with pytest.raises(Refusal):
        life.trigger(ids[2], "recommend", actor=GD, now=LATER)
    refusal = anchors(life.db)[before:]
    before += len(refusal)
    operator_act(life.db, "calendar_import", "2026 imported")
    operator = anchors(life.db)[before:]
    before += len(operator)
    with life.db.transaction() as s:  # a transaction that writes no audit record
        s.get(Application, ids[0])
    assert len(anchors(life.db)) == before
    assert [[h[0] for h in e.heads] for e in single] == [[audit.application_chain(ids[0])]]
    assert [[h[0] for h in e.heads] for e in batch] == [
        sorted(audit.application_chain(i) for i in ids[1:])
    ]
    assert [[h[:2] for h in e.heads] for e in refusal] == [
        [[audit.application_chain(ids[2]), row(life.db, ids[2]).audit_count]]
    ]
    assert [[h[0] for h in e.heads] for e in operator] == [[audit.OPERATORS]]
    log = anchors(life.db)
    assert [e.id for e in log] == list(range(1, len(log) + 1))
    for prev, entry in zip(log, log[1:], strict=False):
        assert entry.prev_digest == prev.digest and audit.anchor_digest(entry) == entry.digest
    latest: dict[str, tuple[int, str]] = {}
    for entry in log:
        latest.update({c: (n, h) for c, n, h in entry.heads})
    for app_id in ids:
        app = row(life.db, app_id)
        assert latest[audit.application_chain(app_id)] == (app.audit_count, app.audit_head)
    assert checkpoint(life.db) == audit.Checkpoint(len(log), log[-1].digest)
    assert breaks(life.db, against=audit.Checkpoint(batch[0].id, batch[0].digest)) == []


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
    entry = entry_of(life.db, audit.application_chain(ids[0]), 1)
    for against in (None, kept):
        found = breaks(life.db, against)
        assert [(b.application_id, b.record_id) for b in found] == [(ids[0], rec_id)]
        assert f"anchored in entry {entry}" in found[0].problem
        assert "rewritten" in found[0].problem
    with life.db.sessions() as s:  # the row and the chain agree: only the anchors tell
        assert audit.history(s, ids[0])[-1].hash == first.audit_head


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
    n = len(records)
    assert [r.trigger for r in records[-2:]] == ["submit", "recommend"]
    assert not records[-1].accepted
    with life.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :i"), {"i": records[-1].id})
        conn.execute(
            text("UPDATE application SET audit_count = :n, audit_head = :h WHERE id = :i"),
            {"n": n - 1, "h": records[-2].hash, "i": victim},
        )
    found = breaks(life.db, kept)
    assert [(b.application_id, b.record_id) for b in found] == [(victim, None)]
    assert f"records {n} records" in found[0].problem
    assert f"the log has {n - 1}" in found[0].problem
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

    from services import wiring
    from shenbao.cli import app

    life, ids = three
    monkeypatch.setenv("SHENBAO_DATABASE_URL", db_url)
    wiring.reset()
    runner = CliRunner()
    cp = runner.invoke(app, ["audit", "checkpoint"])
    assert cp.exit_code == 0, cp.output
    kept = cp.stdout.strip()
    seq = len(anchors(life.db))
    assert kept == str(checkpoint(life.db)) and kept.startswith(f"{seq}:")
    as_json = json.loads(runner.invoke(app, ["audit", "checkpoint", "--json"]).stdout)
    assert as_json["checkpoint"] == kept and as_json["seq"] == seq
    ok = runner.invoke(app, ["audit", "verify", "--against", kept])
    assert ok.exit_code == 0 and f"checkpoint {seq} reproduced" in ok.stdout
    for wrong in ("6:abc", "0:" + "0" * 64, "x" * 70):
        bad = runner.invoke(app, ["audit", "verify", "--against", wrong])
        assert bad.exit_code == 2
        assert bad.stderr.strip().count("\n") == 0
        assert f"--against: '{wrong}' is not a checkpoint" in bad.stderr
    with life.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE application SET status = 'confirmed' WHERE id = :i"), {"i": ids[0]}
        )
    broken = runner.invoke(app, ["audit", "verify", "--against", kept])
    assert broken.exit_code == 1 and f"application {ids[0]}:" in broken.stdout
    refused = runner.invoke(app, ["audit", "checkpoint"])
    assert refused.exit_code == 1 and f"application {ids[0]}" in refused.stdout
    wiring.reset()


def test_concurrent_writers_anchor_in_one_sequence(life: Lifecycle) -> None:
    from concurrent.futures import ThreadPoolExecutor

    made = [new_app(life, 800 + i) for i in range(4)]
    before = len(anchors(life.db))

    def work(n: int) -> None:
        app_id, me = made[n]
        life.trigger(app_id, "submit", actor=me, now=OPEN)
        operator_act(life.db, "notify_send", f"batch {n}")
        life.trigger(app_id, "withdraw", actor=me, now=LATER)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(work, range(4)))
    log = anchors(life.db)
    assert [e.id for e in log] == list(range(1, before + 13))  # 4 workers x 3 transactions
    assert breaks(life.db, checkpoint(life.db)) == []


@pytest.mark.parametrize(
    "args",
    [
        ["audit", "verify"],
        ["audit", "verify", "--against", "1:" + "a" * 64],
        ["audit", "checkpoint"],
        ["audit", "operators"],
        ["audit", "history", "1"],
    ],
)
def test_reading_commands_never_create_a_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    from typer.testing import CliRunner

    from services import wiring
    from shenbao.cli import app

    missing = tmp_path / "nowhere.db"
    monkeypatch.setenv("SHENBAO_DATABASE_URL", f"sqlite:///{missing}")
    wiring.reset()
    result = CliRunner().invoke(app, args)
    wiring.reset()
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "no database at" in result.stderr
    assert not missing.exists()
