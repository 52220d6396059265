"""The lifecycle on a real database (file SQLite and PostgreSQL): rules, quotas, audit, outbox."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from states.actors import Actor
from states.rules import Refusal
from store import audit
from store.db import Database
from store.models import Application, AuditRecord, OutboxMessage
from store.service import Lifecycle
from tests.conftest import uscc
from tests.fixtures.lifecycle import (
    CLOSED,
    GD,
    LAST_SECOND,
    MINISTRY,
    OPEN,
    SCREENING,
    new_app,
    state,
    t,
)
from tests.fixtures.review import recommend_fully


@pytest.fixture
def life(db_url: str) -> Lifecycle:
    lc = Lifecycle(Database(db_url))
    lc.open_campaign("szzx-2026-2", now=t("2026-05-01T00:00:00"), actor=MINISTRY)
    return lc


class TestPathToRecommendation:
    def test_submit_return_resubmit_recommend(self, life: Lifecycle) -> None:
        app_id, me = new_app(life, 1)
        with pytest.raises(
            Refusal,
            match="逾期不予受理: the application window of szzx-2026-2 "
            "closed at 2026-06-20 23:59:59 \\+08:00",
        ):
            life.trigger(app_id, "submit", actor=me, now=CLOSED)
        assert state(life, app_id) == "draft"
        life.trigger(app_id, "submit", actor=me, now=LAST_SECOND - (LAST_SECOND - OPEN) / 2)
        with pytest.raises(Refusal, match="reason"):
            life.trigger(app_id, "return_for_revision", actor=GD, now=t("2026-06-10T09:00:00"))
        life.trigger(
            app_id,
            "return_for_revision",
            actor=GD,
            now=t("2026-06-10T09:00:00"),
            reason="请补充联合体协议",
        )
        assert state(life, app_id) == "draft"
        life.trigger(app_id, "submit", actor=me, now=LAST_SECOND)
        with pytest.raises(Refusal):
            life.trigger(app_id, "recommend", actor=Actor.parse("province:江苏"), now=SCREENING)
        with pytest.raises(Refusal):
            life.trigger(app_id, "recommend", actor=Actor.parse("auditor"), now=SCREENING)
        life.trigger(app_id, "recommend", actor=GD, now=SCREENING)
        assert state(life, app_id) == "recommended"

        with life.db.sessions() as s:
            records = audit.history(s, app_id)
            assert [(r.trigger, r.accepted) for r in records] == [
                ("create", True),
                ("submit", False),
                ("submit", True),
                ("return_for_revision", False),
                ("return_for_revision", True),
                ("submit", True),
                ("recommend", False),
                ("recommend", False),
                ("recommend", True),
            ]
            assert records[0].rule == "Created"
            assert records[1].rule == "RefuseLateSubmission"
            assert records[-1].actor_scope == "广东"
            assert audit.replay_state(records) == "recommended"
            assert list(audit.verify(s)) == []
            sent = s.scalars(
                select(OutboxMessage.message_type)
                .where(OutboxMessage.application_id == app_id)
                .order_by(OutboxMessage.id)
            ).all()
            assert sent == ["submitted", "returned", "submitted", "recommended"]

    def test_only_the_applicant_submits(self, life: Lifecycle) -> None:
        app_id, _ = new_app(life, 2)
        other = Actor.parse(f"enterprise:{uscc(3)}")
        with pytest.raises(Refusal):
            life.trigger(app_id, "submit", actor=other, now=OPEN)
        assert state(life, app_id) == "draft"

    def test_return_only_while_window_open(self, life: Lifecycle) -> None:
        app_id, me = new_app(life, 4)
        life.trigger(app_id, "submit", actor=me, now=OPEN)
        with pytest.raises(Refusal):
            life.trigger(app_id, "return_for_revision", actor=GD, now=SCREENING, reason="补充")
        life.trigger(app_id, "reject", actor=GD, now=SCREENING, reason="不符合条件")
        assert state(life, app_id) == "not_recommended"


class TestQuotas:
    def submitted(self, lc: Lifecycle, n: int, province: str, consortium: bool = False) -> int:
        app_id, me = new_app(lc, n, province, consortium)
        lc.trigger(app_id, "submit", actor=me, now=OPEN)
        return app_id

    def test_edition_e_two_per_province_one_consortium(self, life: Lifecycle) -> None:
        ah = Actor.parse("province:安徽")
        c1 = self.submitted(life, 10, "安徽", consortium=True)
        c2 = self.submitted(life, 11, "安徽", consortium=True)
        a3 = self.submitted(life, 12, "安徽")
        a4 = self.submitted(life, 13, "安徽")
        life.trigger(c1, "recommend", actor=ah, now=SCREENING)
        with pytest.raises(Refusal, match="联合体|consortium"):
            life.trigger(c2, "recommend", actor=ah, now=SCREENING)
        life.trigger(a3, "recommend", actor=ah, now=SCREENING)
        with pytest.raises(Refusal) as info:
            life.trigger(a4, "recommend", actor=ah, now=SCREENING)
        assert "2" in str(info.value)
        assert state(life, a4) == "submitted"

    def test_top_ten_province_gets_three(self, life: Lifecycle) -> None:
        ids = [self.submitted(life, 20 + i, "江苏") for i in range(4)]
        js = Actor.parse("province:江苏")
        for app_id in ids[:3]:
            life.trigger(app_id, "recommend", actor=js, now=SCREENING)
        with pytest.raises(Refusal):
            life.trigger(ids[3], "recommend", actor=js, now=SCREENING)

    def test_withdrawn_recommendation_frees_the_slot(self, life: Lifecycle) -> None:
        ah = Actor.parse("province:安徽")
        ids = [self.submitted(life, 30 + i, "安徽") for i in range(3)]
        life.trigger(ids[0], "recommend", actor=ah, now=SCREENING)
        life.trigger(ids[1], "recommend", actor=ah, now=SCREENING)
        with pytest.raises(Refusal):
            life.trigger(ids[2], "recommend", actor=ah, now=SCREENING)
        life.trigger(ids[0], "withdraw", actor=Actor.parse(f"enterprise:{uscc(30)}"), now=SCREENING)
        life.trigger(ids[2], "recommend", actor=ah, now=SCREENING)

    def test_edition_b_per_category_tiers(self, db_url: str) -> None:
        lc = Lifecycle(Database(db_url))
        lc.open_campaign("liangrong-2021", now=t("2021-11-08T00:00:00"), actor=MINISTRY)
        now = t("2021-12-01T10:00:00")
        made = []
        for i, category in enumerate(["manufacturing"] * 4 + ["ito"]):
            app_id, me = new_app(lc, 40 + i, "天津", edition="liangrong-2021", category=category)
            lc.trigger(app_id, "submit", actor=me, now=now)
            made.append(app_id)
        for app_id in made[:3]:
            recommend_fully(lc, app_id, "天津", "liangrong-2021", now)
        with pytest.raises(Refusal):  # 1–3万亿 tier: at most 3 per category
            recommend_fully(lc, made[3], "天津", "liangrong-2021", now)
        recommend_fully(lc, made[4], "天津", "liangrong-2021", now)  # ito has its own quota


class TestAuditTrail:
    def test_application_layer_refuses_edits(self, life: Lifecycle) -> None:
        app_id, me = new_app(life, 50)
        life.trigger(app_id, "submit", actor=me, now=OPEN)
        with life.db.sessions() as s:
            rec = s.scalars(select(AuditRecord)).first()
            assert rec is not None
            rec.reason = "changed"
            with pytest.raises(audit.AuditTampering):
                s.flush()
            s.rollback()
            rec = s.scalars(select(AuditRecord)).first()
            s.delete(rec)
            with pytest.raises(audit.AuditTampering):
                s.flush()

    def test_database_refuses_edits(self, life: Lifecycle) -> None:
        app_id, me = new_app(life, 51)
        life.trigger(app_id, "submit", actor=me, now=OPEN)
        with pytest.raises(Exception, match="append-only"):
            with life.db.engine.begin() as conn:
                conn.execute(text("UPDATE audit_log SET reason = 'x'"))
        with pytest.raises(Exception, match="append-only"):
            with life.db.engine.begin() as conn:
                conn.execute(text("DELETE FROM audit_log"))

    def _drop_guards(self, life: Lifecycle) -> None:
        with life.db.engine.begin() as conn:
            if life.db.dialect == "postgresql":
                conn.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))
            else:
                conn.execute(text("DROP TRIGGER audit_log_no_update"))
                conn.execute(text("DROP TRIGGER audit_log_no_delete"))

    def test_raw_sql_edit_is_detected(self, life: Lifecycle) -> None:
        app_id, me = new_app(life, 52)
        life.trigger(app_id, "submit", actor=me, now=OPEN)
        life.trigger(app_id, "withdraw", actor=me, now=OPEN)
        with life.db.sessions() as s:
            assert list(audit.verify(s)) == []
            first_id = s.scalars(select(AuditRecord.id).order_by(AuditRecord.id)).first()
        self._drop_guards(life)
        with life.db.engine.begin() as conn:
            conn.execute(
                text("UPDATE audit_log SET actor_scope = 'someone else' WHERE id = :i"),
                {"i": first_id},
            )
        with life.db.sessions() as s:
            first = next(audit.verify(s))
        assert first.record_id == first_id and "hash" in first.problem

    def test_deleting_the_last_record_is_detected(self, life: Lifecycle) -> None:
        app_id, me = new_app(life, 53)
        life.trigger(app_id, "submit", actor=me, now=OPEN)
        self._drop_guards(life)
        with life.db.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log WHERE application_id = :a"), {"a": app_id})
        with life.db.sessions() as s:
            breaks = list(audit.verify(s))
        assert breaks and breaks[0].application_id == app_id

    def test_replay_reproduces_state(self, life: Lifecycle) -> None:
        app_id, me = new_app(life, 54)
        life.trigger(app_id, "submit", actor=me, now=OPEN)
        life.trigger(app_id, "recommend", actor=GD, now=SCREENING)
        with life.db.sessions() as s:
            app = s.get(Application, app_id)
            assert app is not None
            assert audit.replay_state(audit.history(s, app_id)) == app.status == "recommended"


def test_batch_of_many_in_one_transaction(db_url: str) -> None:
    from store.transitions import Request

    lc = Lifecycle(Database(db_url))
    lc.open_campaign("szzx-2026-2", now=t("2026-05-01T00:00:00"), actor=MINISTRY)
    ids = [new_app(lc, 100 + i, "湖北")[0] for i in range(5)]
    subs = [
        Request(i, "submit", Actor.parse(f"enterprise:{uscc(100 + n)}")) for n, i in enumerate(ids)
    ]
    assert all(r.accepted for r in lc.trigger_many(subs, now=OPEN))
    hb = Actor.parse("province:湖北")
    results = lc.trigger_many([Request(i, "recommend", hb) for i in ids], now=SCREENING)
    assert [r.accepted for r in results] == [True, True, True, False, False]
    with lc.db.sessions() as s:
        assert list(audit.verify(s)) == []


def test_stored_form_check_is_used_while_current_and_recomputed_when_stale(
    life: Lifecycle,
) -> None:
    app_id, me = new_app(life, 60)
    with life.db.transaction() as s:
        app = s.get(Application, app_id)
        assert app is not None and app.form_check["errors"] == []
        planted = {**app.form_check, "errors": ["basic.name: 假错误 (planted)"]}
        app.form_check = planted
    with pytest.raises(Refusal, match="planted"):
        life.trigger(app_id, "submit", actor=me, now=OPEN)
    with life.db.transaction() as s:
        app = s.get(Application, app_id)
        assert app is not None
        app.form_check = {**planted, "key": "computed for another form version"}
    life.trigger(app_id, "submit", actor=me, now=OPEN)  # recomputed: the form is valid
    assert state(life, app_id) == "submitted"


def test_a_version_conflict_changes_nothing_and_is_audited(
    life: Lifecycle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As if another transaction had moved the row between our read and our write."""
    from store.transitions import Conflict, TransitionEngine

    app_id, me = new_app(life, 70)
    real_load = TransitionEngine._load

    def stale_load(self, s, ids, checked):  # type: ignore[no-untyped-def]
        snaps, campaigns, editions = real_load(self, s, ids, checked)
        for snap in snaps.values():
            snap.read_version -= 1
        return snaps, campaigns, editions

    monkeypatch.setattr(TransitionEngine, "_load", stale_load)
    with pytest.raises(Conflict, match="冲突"):
        life.trigger(app_id, "submit", actor=me, now=OPEN)
    monkeypatch.undo()
    assert state(life, app_id) == "draft"
    with life.db.sessions() as s:
        created, record = audit.history(s, app_id)
        assert created.trigger == "create"
        assert (record.trigger, record.accepted, record.rule) == ("submit", False, "Conflict")
        assert list(audit.verify(s)) == []
