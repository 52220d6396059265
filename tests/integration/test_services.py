"""The command handlers on a real database: authorisation first, one refusal path, the
integrity rules (one application per organisation, consortium from the form, quotas counted
once per batch, group enterprises through their group)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from deadlines import SHANGHAI
from services import handlers
from services.errors import Refused
from states.actors import Actor
from store import audit
from store.audit import operator_history
from store.db import Database
from store.models import Application, AuditRecord, OperatorRecord
from store.review_models import ScoringSheet
from tests.conftest import uscc, valid_form

MINISTRY = Actor.parse("ministry")
AUDITOR = Actor.parse("auditor")


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


OPEN = t("2026-05-27T09:00:00")
SCREENING = t("2026-06-22T10:00:00")


@pytest.fixture
def db(db_url: str) -> Database:
    database = Database(db_url)
    handlers.open_campaign(database, MINISTRY, "szzx-2026-2", now=t("2026-05-01T00:00:00"))
    return database


def me(n: int) -> Actor:
    return Actor.parse(f"enterprise:{uscc(n)}")


def apply(
    db: Database,
    n: int,
    province: str = "广东",
    *,
    consortium: bool = False,
    edition: str = "szzx-2026-2",
    category: str = "center",
    group: str | None = None,
    now: datetime = OPEN,
) -> int:
    form = valid_form(
        edition,
        category,
        uscc(n),
        f"申报单位{n}",
        consortium=consortium if edition == "szzx-2026-2" else None,
    )
    return handlers.create_application(
        db,
        me(n),
        edition,
        uscc=uscc(n),
        name=f"申报单位{n}",
        province=province,
        category=category,
        group=group,
        email=f"u{n}@example.com",
        form=form,
        now=now,
    )


def submitted(db: Database, n: int, province: str = "广东", *, consortium: bool = False) -> int:
    app_id = apply(db, n, province, consortium=consortium)
    handlers.submit(db, me(n), app_id, now=OPEN)
    return app_id


def status(db: Database, app_id: int) -> str:
    with db.sessions() as s:
        return str(s.scalar(select(Application.status).where(Application.id == app_id)))


def trail(db: Database) -> list[OperatorRecord]:
    with db.sessions() as s:
        return operator_history(s)


class TestOneApplicationPerOrganisation:
    """Bug 1: two drafts of one 统一社会信用代码 could both reach submitted."""

    def test_second_application_refused_naming_the_first(self, db: Database) -> None:
        first = apply(db, 1)
        with pytest.raises(Refused, match=f"application {first}") as info:
            apply(db, 1)
        assert info.value.rule == "OneApplicationPerOrganisation"
        with db.sessions() as s:
            assert s.scalar(select(func.count()).select_from(Application)) == 1
        (record,) = [r for r in trail(db) if r.act == "application.create"]
        assert not record.accepted
        assert record.rule == "OneApplicationPerOrganisation"

    def test_creation_is_audited_on_the_new_chain(self, db: Database) -> None:
        app_id = apply(db, 2)
        with db.sessions() as s:
            (record,) = audit.history(s, app_id)
        assert (record.trigger, record.accepted, record.actor_role) == (
            "create",
            True,
            "enterprise",
        )

    def test_an_enterprise_applies_only_for_itself(self, db: Database) -> None:
        with pytest.raises(Refused, match="只能由申报单位本人操作"):
            handlers.create_application(
                db, me(4), "szzx-2026-2", uscc=uscc(3), name="x", province="广东",
                category="center", form=valid_form("szzx-2026-2", "center", uscc(3)), now=OPEN,
            )  # fmt: skip
        assert trail(db)[-1].rule == "OnlyApplicantCreates"


class TestConsortiumFromTheForm:
    """Bug 2: a form listing consortium members, applied without a flag, escaped the sub-quota."""

    def test_members_in_the_form_make_a_consortium(self, db: Database) -> None:
        with_members = apply(db, 10, "安徽", consortium=True)
        plain = apply(db, 11, "安徽", consortium=False)
        with db.sessions() as s:
            assert s.get(Application, with_members).consortium  # type: ignore[union-attr]
            assert not s.get(Application, plain).consortium  # type: ignore[union-attr]

    def test_the_second_consortium_is_refused_by_the_sub_quota(self, db: Database) -> None:
        ah = Actor.parse("province:安徽")
        c1 = submitted(db, 12, "安徽", consortium=True)
        c2 = submitted(db, 13, "安徽", consortium=True)
        handlers.recommend(db, ah, c1, now=SCREENING)
        with pytest.raises(Refused, match="联合体|consortium"):
            handlers.recommend(db, ah, c2, now=SCREENING)

    def test_saving_a_form_with_members_makes_it_a_consortium(self, db: Database) -> None:
        app_id = apply(db, 14, "安徽", consortium=False)
        form = valid_form("szzx-2026-2", "center", uscc(14), "申报单位14")
        handlers.save_form(db, me(14), app_id, form, now=OPEN)
        with db.sessions() as s:
            assert s.get(Application, app_id).consortium  # type: ignore[union-attr]


class TestBatchQuota:
    """Bug 3: a batch counted a consortium application twice against the province's quota."""

    def test_three_with_one_consortium_in_one_batch_all_pass(self, db: Database) -> None:
        gd = Actor.parse("province:广东")  # 广东: 3 (工业大省), of which 1 consortium
        ids = [submitted(db, 20, consortium=True), submitted(db, 21), submitted(db, 22)]
        batch = handlers.recommend_many(db, gd, ids, now=SCREENING)
        assert batch.accepted == ids
        assert [status(db, a) for a in ids] == ["recommended"] * 3

    def test_batch_at_the_quota_edge_mixing_consortia_and_plain(self, db: Database) -> None:
        gd = Actor.parse("province:广东")
        c1 = submitted(db, 30, consortium=True)
        p1 = submitted(db, 31)
        c2 = submitted(db, 32, consortium=True)
        p2 = submitted(db, 33)
        p3 = submitted(db, 34)
        batch = handlers.recommend_many(db, gd, [c1, p1, c2, p2, p3], now=SCREENING)
        assert batch.accepted == [c1, p1, p2]
        refused = {r.application_id: r for r in batch.refused}
        assert set(refused) == {c2, p3}
        assert "province_consortium" in refused[c2].message
        assert "limit 3, already recommended 3" in refused[p3].message
        # the same decisions one at a time
        with db.sessions() as s:
            held = s.scalar(
                select(func.count())
                .select_from(Application)
                .where(Application.status == "recommended")
            )
        assert held == 3

    def test_one_at_a_time_agrees_with_the_batch(self, db: Database) -> None:
        gd = Actor.parse("province:广东")
        ids = [submitted(db, 40, consortium=True), submitted(db, 41), submitted(db, 42)]
        for app_id in ids:
            handlers.recommend(db, gd, app_id, now=SCREENING)
        extra = submitted(db, 43)
        with pytest.raises(Refused, match="超出推荐名额"):
            handlers.recommend(db, gd, extra, now=SCREENING)


class TestGroupRoute:
    """Bug 4: a central enterprise's application was recommended by its province."""

    @pytest.fixture
    def b(self, db_url: str) -> Database:
        database = Database(db_url)
        handlers.open_campaign(database, MINISTRY, "liangrong-2021", now=t("2021-11-08T09:00:00"))
        return database

    def test_province_refused_group_accepted(self, b: Database) -> None:
        at = t("2021-11-20T09:00:00")
        app_id = apply(
            b, 50, "北京", edition="liangrong-2021", category="ito", group="中国电子", now=at
        )
        handlers.submit(b, me(50), app_id, now=at)
        with pytest.raises(Refused, match="中央管理企业由所在企业集团推荐") as info:
            handlers.recommend(b, Actor.parse("province:北京"), app_id, now=at)
        assert "商办服贸函〔2021〕360号 附件1 七" in info.value.message
        assert status(b, app_id) == "submitted"
        handlers.recommend(b, Actor.parse("group:中国电子"), app_id, now=at)
        assert status(b, app_id) == "recommended"


class TestAuthorisationFirst:
    def test_auditor_shortlist_refused_and_stores_no_cut(self, db: Database) -> None:
        sheet = {
            "aggregation": "mean",
            "criteria": [{"id": "capability", "label_zh": "服务能力", "max_points": 100}],
        }
        handlers.define_sheet(db, MINISTRY, "szzx-2026-2", sheet, now=SCREENING)
        with pytest.raises(Refused, match="审计人员只读") as info:
            handlers.shortlist(db, AUDITOR, "szzx-2026-2", top_k=1, now=SCREENING)
        assert info.value.rule == "EnforceActorRole"
        with db.sessions() as s:
            row = s.scalar(select(ScoringSheet))
            assert row is not None and row.top_k is None
        last = trail(db)[-1]
        assert (last.act, last.accepted, last.actor_role) == (
            "scoring.shortlist",
            False,
            "auditor",
        )

    @pytest.mark.parametrize(
        "call",
        [
            lambda db, a: handlers.open_scoring(db, a, "szzx-2026-2", now=SCREENING),
            lambda db, a: handlers.close_notice(db, a, "szzx-2026-2", now=SCREENING),
            lambda db, a: handlers.add_contact(db, a, "ministry", "", "m@example.cn", now=OPEN),
            lambda db, a: handlers.open_campaign(db, a, "cciip-2023", now=OPEN),
        ],
        ids=["scoring-open", "notice-close", "contacts-add", "campaign-open"],
    )
    @pytest.mark.parametrize("who", ["province:广东", "expert:e1", "auditor", "public"])
    def test_wrong_role_refused_and_audited(self, db: Database, call: Any, who: str) -> None:
        before = len(trail(db))
        with db.sessions() as s:
            records = s.scalar(select(func.count()).select_from(AuditRecord))
        with pytest.raises(Refused, match="无权操作|审计人员只读"):
            call(db, Actor.parse(who))
        after = trail(db)
        assert len(after) == before + 1 and not after[-1].accepted
        with db.sessions() as s:
            assert s.scalar(select(func.count()).select_from(AuditRecord)) == records

    def test_contacts_are_audited_with_their_actor(self, db: Database) -> None:
        contact = handlers.add_contact(
            db,
            MINISTRY,
            "province_commerce",
            "广东",
            "gd@example.cn",
            name="广东省商务厅",
            now=OPEN,
        )
        handlers.remove_contact(db, Actor.parse("system"), contact, now=OPEN)
        acts = [(r.act, r.actor_role, r.accepted) for r in trail(db)[-2:]]
        assert acts == [("contacts.add", "ministry", True), ("contacts.remove", "system", True)]
        assert trail(db)[-1].details["email"] == "gd@example.cn"

    def test_bad_input_is_audited_once(self, db: Database) -> None:
        with pytest.raises(ValueError, match="EMAIL"):
            handlers.add_contact(db, MINISTRY, "ministry", "", "not-an-address", now=OPEN)
        last = trail(db)[-1]
        assert (last.act, last.rule, last.accepted) == (
            "contacts.add",
            "InvalidInput",
            False,
        )


class TestTwoReviewingDepartments:
    """两融: 省级商务主管部门 and 省级工业和信息化主管部门 each recommend (seed 001 附件2 推荐意见, 七)."""

    AT = t("2021-11-20T09:00:00")

    @pytest.fixture
    def b(self, db_url: str) -> Database:
        database = Database(db_url)
        handlers.open_campaign(database, MINISTRY, "liangrong-2021", now=t("2021-11-08T09:00:00"))
        return database

    def submitted_b(self, b: Database, n: int, province: str) -> int:
        app_id = apply(b, n, province, edition="liangrong-2021", category="ito", now=self.AT)
        handlers.submit(b, me(n), app_id, now=self.AT)
        return app_id

    def test_both_departments_recommend_before_it_takes_effect(self, b: Database) -> None:
        app_id = self.submitted_b(b, 60, "北京")
        with pytest.raises(Refused, match="须注明审核部门") as info:
            handlers.recommend(b, Actor.parse("province:北京"), app_id, now=self.AT)
        assert "商办服贸函〔2021〕360号 附件1 七" in info.value.message
        commerce = Actor.parse("province:北京/commerce")
        first = handlers.recommend(b, commerce, app_id, now=self.AT)
        assert (first.trigger, first.to_state, first.rule) == (
            "opinion:recommend",
            "submitted",
            "AwaitOtherDepartment",
        )
        assert status(b, app_id) == "submitted"
        with pytest.raises(Refused, match="已出具推荐意见"):
            handlers.recommend(b, commerce, app_id, now=self.AT)
        handlers.recommend(b, Actor.parse("province:北京/industry"), app_id, now=self.AT)
        assert status(b, app_id) == "recommended"
        with b.sessions() as s:
            records = [(r.trigger, r.accepted, r.actor_scope) for r in audit.history(s, app_id)]
            last = audit.history(s, app_id)[-1]
        assert records[-3:] == [
            ("opinion:recommend", True, "北京/commerce"),
            ("recommend", False, "北京/commerce"),
            ("recommend", True, "北京/industry"),
        ]
        assert last.details["opinions"] == ["commerce", "industry"]

    def test_the_quota_slot_is_taken_only_by_a_full_recommendation(self, b: Database) -> None:
        # 海南 is among 其他省份: 1 per category
        half, full = self.submitted_b(b, 61, "海南"), self.submitted_b(b, 62, "海南")
        handlers.recommend(b, Actor.parse("province:海南/commerce"), half, now=self.AT)
        handlers.recommend(b, Actor.parse("province:海南/commerce"), full, now=self.AT)
        handlers.recommend(b, Actor.parse("province:海南/industry"), full, now=self.AT)
        assert status(b, full) == "recommended"
        with pytest.raises(Refused, match="超出推荐名额"):
            handlers.recommend(b, Actor.parse("province:海南/industry"), half, now=self.AT)
        assert status(b, half) == "submitted"

    def test_either_department_may_reject_with_a_reason(self, b: Database) -> None:
        app_id = self.submitted_b(b, 63, "北京")
        handlers.recommend(b, Actor.parse("province:北京/commerce"), app_id, now=self.AT)
        industry = Actor.parse("province:北京/industry")
        with pytest.raises(Refused, match="须填写理由"):
            handlers.reject(b, industry, app_id, now=self.AT, reason=None)
        handlers.reject(b, industry, app_id, now=self.AT, reason="融合成效不足")
        assert status(b, app_id) == "not_recommended"

    def test_szzx_is_reviewed_by_the_industry_department_alone(self, db: Database) -> None:
        a1, a2 = submitted(db, 64), submitted(db, 65)
        with pytest.raises(Refused, match="非本批次审核部门") as info:
            handlers.recommend(db, Actor.parse("province:广东/commerce"), a1, now=SCREENING)
        assert "工信厅规函〔2026〕238号" in info.value.message
        handlers.recommend(db, Actor.parse("province:广东/industry"), a1, now=SCREENING)
        plain = handlers.recommend(db, Actor.parse("province:广东"), a2, now=SCREENING)
        assert plain.to_state == "recommended", plain
        assert [status(db, a1), status(db, a2)] == ["recommended", "recommended"]


class TestFormSave:
    def test_saved_forms_are_audited_and_only_drafts_by_their_applicant(self, db: Database) -> None:
        app_id = apply(db, 70)
        form = valid_form("szzx-2026-2", "center", uscc(70), "申报单位70", consortium=False)
        assert handlers.save_form(db, me(70), app_id, form, now=OPEN) == 2
        with pytest.raises(Refused, match="只能由申报单位本人操作") as info:
            handlers.save_form(db, me(71), app_id, form, now=OPEN)
        assert info.value.rule == "OnlyApplicantEdits"
        handlers.submit(db, me(70), app_id, now=OPEN)
        with pytest.raises(Refused, match="不可修改"):
            handlers.save_form(db, me(70), app_id, form, now=OPEN)
        with db.sessions() as s:
            records = [(r.trigger, r.accepted, r.rule) for r in audit.history(s, app_id)]
        assert records == [
            ("create", True, "Created"),
            ("form:save", True, "Review"),
            ("form:save", False, "OnlyApplicantEdits"),
            ("submit", True, "Policy"),
            ("form:save", False, "EditOnlyDrafts"),
        ]
        with db.sessions() as s:
            assert list(audit.verify(s)) == []  # chains intact, the log replays to submitted
