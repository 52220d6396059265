"""Batch handlers by many actors (`fire_each`, `submit_many`): one unit of work, every actor
authorised first, one audit record per application, refusals audited and not raised."""

from __future__ import annotations

import pytest

from services import handlers
from services.errors import NotFound, Refused
from states.actors import Actor
from store import audit
from store.audit import operator_history
from store.bulk import NewApplication
from store.db import Database
from store.models import Application, OutboxMessage
from tests.conftest import uscc, valid_form
from tests.fixtures.handlers import OPEN, apply, campaign_db, me


@pytest.fixture
def db(db_url: str) -> Database:
    return campaign_db(db_url)


def state(db: Database, app_id: int) -> tuple[str, int]:
    with db.sessions() as s:
        app = s.get(Application, app_id)
        assert app is not None
        return app.status, app.audit_count


def mails(db: Database, app_id: int) -> int:
    with db.sessions() as s:
        return len(list(s.query(OutboxMessage).filter(OutboxMessage.application_id == app_id)))


def test_many_enterprises_submit_in_one_batch(db: Database) -> None:
    ids = [apply(db, n) for n in range(1, 5)]
    batch = handlers.submit_many(db, [(me(n), a) for n, a in enumerate(ids, start=1)], now=OPEN)
    assert batch.accepted == ids
    assert [state(db, a) for a in ids] == [("submitted", 2)] * 4  # create + submit
    assert all(mails(db, a) == 1 for a in ids)  # the receipt, in the same unit of work


def test_a_refused_member_gets_its_refusal_record_and_nothing_else(db: Database) -> None:
    ids = [apply(db, n) for n in range(1, 5)]
    items = [(me(1), ids[0]), (Actor.parse("auditor"), ids[1]), (me(9), ids[2]), (me(4), ids[3])]
    before = {a: mails(db, a) for a in ids}
    batch = handlers.submit_many(db, items, now=OPEN)
    assert batch.accepted == [ids[0], ids[3]]
    refused = {r.application_id: r for r in batch.refused}
    assert set(refused) == {ids[1], ids[2]}
    assert refused[ids[1]].rule == "EnforceActorRole"  # the role table, before anything else
    assert "审计人员只读" in refused[ids[1]].message
    assert refused[ids[2]].rule != "Policy"  # another enterprise's application: a rule refuses
    for a in (ids[1], ids[2]):
        assert state(db, a) == ("draft", 2)  # create + the refusal record, no move
        assert mails(db, a) == before[a]
        with db.sessions() as s:
            last = audit.history(s, a)[-1]
        assert (last.trigger, last.accepted, last.to_state) == ("submit", False, None)
    for a in (ids[0], ids[3]):
        assert state(db, a) == ("submitted", 2)
    with db.sessions() as s:
        assert list(audit.verify(s)) == []


def test_an_unknown_application_changes_nothing(db: Database) -> None:
    a = apply(db, 1)
    with pytest.raises(NotFound):
        handlers.submit_many(db, [(me(1), a), (me(2), 999_999)], now=OPEN)
    assert state(db, a) == ("draft", 1)


def item(n: int, actor: Actor | None = None, **over: object) -> NewApplication:
    form = valid_form("szzx-2026-2", "center", uscc(n), f"申报单位{n}", consortium=False)
    fields: dict[str, object] = dict(
        actor=actor or me(n), uscc=uscc(n), name=f"申报单位{n}", province="广东",
        category="center", email=f"u{n}@example.com", form=form,
    )  # fmt: skip
    fields.update(over)
    return NewApplication(**fields)  # type: ignore[arg-type]


def test_create_many_refuses_members_alone_and_creates_the_rest(db: Database) -> None:
    earlier = apply(db, 7)
    items = [
        item(1),
        item(2, Actor.parse("auditor")),  # the role table refuses first
        item(3, me(4)),  # another enterprise's application
        item(5, email="not-an-address"),  # bad input
        item(7),  # already applied
        item(8),
        item(8),  # twice in the batch: the second is refused
    ]
    with db.sessions() as s:
        trail_before = len(operator_history(s))
    out = handlers.create_many(db, "szzx-2026-2", items, now=OPEN)
    made = [x for x in out if isinstance(x, int)]
    assert len(made) == 2 and out[0] == made[0] and out[5] == made[1]
    rules = {i: x.rule for i, x in enumerate(out) if isinstance(x, Refused)}
    assert rules == {
        1: "EnforceActorRole",
        2: "OnlyApplicantActs",
        3: "InvalidInput",
        4: "OneApplicationPerOrganisation",
        6: "OneApplicationPerOrganisation",
    }
    assert f"application {earlier}" in out[4].message  # type: ignore[union-attr]
    assert "--email" in out[3].message  # type: ignore[union-attr]
    with db.sessions() as s:
        trail = operator_history(s)[trail_before:]
        assert [(r.accepted, r.rule) for r in trail] == [(False, rules[i]) for i in sorted(rules)]
        apps = s.query(Application).order_by(Application.id).all()
        assert [a.uscc for a in apps] == [uscc(7), uscc(1), uscc(8)]
        for app_id in made:
            app = s.get(Application, app_id)
            assert app is not None and (app.status, app.audit_count, app.form_version) == (
                "draft", 1, 1,
            )  # fmt: skip
            assert app.form_check["errors"] == []
            (rec,) = audit.history(s, app_id)
            assert (rec.trigger, rec.accepted, rec.hash) == ("create", True, app.audit_head)
        assert list(audit.verify(s)) == []
    # the drafts move on like any other
    batch = handlers.submit_many(db, [(me(1), made[0]), (me(8), made[1])], now=OPEN)
    assert batch.accepted == made
