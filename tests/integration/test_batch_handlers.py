"""Batch handlers (`fire_each`, `submit_many`, `create_many`, `assign_many`, `score_many`,
`report_many`): one unit of work, every actor authorised first, one audit record per item,
refusals audited and not raised, and the same outcome as the one-by-one handlers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import select

from programs.forms import example_annual_report
from services import handlers
from services.errors import NotFound, Refused
from states import scoring
from states.actors import Actor
from store import audit
from store.audit import operator_history
from store.bulk import NewApplication
from store.db import Database
from store.models import Application, FormVersion, OutboxMessage
from store.review_models import AnnualReport, ExpertAssignment, ExpertScore, Title
from store.scoring_stage import ExpertItem, ScoreItem
from store.titles_stage import ReportItem
from tests.conftest import uscc, valid_form
from tests.fixtures.handlers import OPEN, apply, campaign_db, me
from tests.fixtures.lifecycle import MINISTRY, t
from tests.fixtures.review import (
    EXPERTS,
    SHEET,
    SYSTEM,
    Campaign,
    campaign_b,
    check_audit,
    recommended,
    status,
)


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
            # the form is stored as the mapping it was (once serialised, in both rows)
            given = items[out.index(app_id)].form
            assert app.form == json.loads(json.dumps(given, ensure_ascii=False, default=str))
            (version,) = s.scalars(select(FormVersion).where(FormVersion.application_id == app_id))
            assert (version.version, version.form) == (1, app.form)
            (rec,) = audit.history(s, app_id)
            assert (rec.trigger, rec.accepted, rec.hash) == ("create", True, app.audit_head)
        assert list(audit.verify(s)) == []
    # the drafts move on like any other
    batch = handlers.submit_many(db, [(me(1), made[0]), (me(8), made[1])], now=OPEN)
    assert batch.accepted == made
    # ids taken by a batch and by one-at-a-time creation never meet
    later = apply(db, 9)
    again = handlers.create_many(db, "szzx-2026-2", [item(10), item(11)], now=OPEN)
    assert later > max(made) and min(again) > later  # type: ignore[type-var]
    assert len({earlier, *made, later, *again}) == 6


# -- expert assignments, expert scores, annual reports in batches (edition B) ----------------------


def _chain(c: Campaign, app_id: int, since: int = 0) -> list[tuple[object, ...]]:
    """An application's records from `since` on, as its reader sees them, with the application's
    own id written `#` and its organisation's code `ORG` (so that two applications given the
    same inputs compare equal)."""
    with c.lc.db.sessions() as s:
        app = s.get(Application, app_id)
        assert app is not None
        own = re.compile(rf"\b{app_id}\b")

        def plain(value: object) -> str:
            text = own.sub("#", json.dumps(value, ensure_ascii=False, sort_keys=True))
            return text.replace(app.uscc, "ORG")

        out = []
        for r in audit.history(s, app_id)[since:]:
            details = {k: v for k, v in (r.details or {}).items() if k != "assignment"}
            out.append(
                (
                    r.trigger, r.from_state, r.to_state, r.accepted, r.actor_role,
                    plain(r.actor_scope), r.rule, plain(r.message), plain(details),
                )
            )  # fmt: skip
        return out


def _count(c: Campaign, app_id: int) -> int:
    with c.lc.db.sessions() as s:
        return len(audit.history(s, app_id))


def _assignments(c: Campaign, app_id: int) -> list[tuple[object, ...]]:
    with c.lc.db.sessions() as s:
        rows = s.scalars(
            select(ExpertAssignment)
            .where(ExpertAssignment.application_id == app_id)
            .order_by(ExpertAssignment.id)
        )
        return [(a.expert_id, a.expert_org_uscc, a.expert_province) for a in rows]


def _scores(c: Campaign, app_id: int) -> list[tuple[object, ...]]:
    with c.lc.db.sessions() as s:
        rows = s.execute(
            select(ExpertAssignment.expert_id, ExpertScore.total, ExpertScore.scores)
            .join(ExpertScore, ExpertScore.assignment_id == ExpertAssignment.id)
            .where(ExpertAssignment.application_id == app_id)
            .order_by(ExpertScore.id)
        ).all()
        return [(e, Decimal(t), sc) for e, t, sc in rows]


def _one_by_one(call: Callable[[], object]) -> tuple[bool, str]:
    try:
        call()
    except Refused as exc:
        return False, exc.rule
    except ValueError:
        return False, "InvalidInput"
    return True, "Review"


def _verified(c: Campaign) -> None:
    with c.lc.db.sessions() as s:
        assert list(audit.verify(s)) == []


@pytest.fixture
def scoring_b(db_url: str) -> tuple[Campaign, list[int]]:
    """Edition B: eight applications recommended (two provinces), the sheet defined, scoring
    opened on 2021-12-11."""
    c = campaign_b(db_url)
    apps = [
        recommended(c, n, "广东" if n <= 4 else "江苏", "manufacturing")[0] for n in range(1, 9)
    ]
    c.review.define_sheet(c.id, SHEET, actor=MINISTRY, now=SCORE_AT)
    c.review.open_scoring(c.id, now=SCORE_AT, actor=MINISTRY)
    return c, apps


SCORE_AT = t("2021-12-11T09:00:00")


def _assign_inputs(c: Campaign, app: int, n: int) -> list[tuple[int, str, str | None, str]]:
    """Per application (numbered n): three good experts, the same expert twice, an expert of the
    applicant's own organisation (回避), and an empty expert id."""
    return [
        (app, "e1", None, "北京"),
        (app, "e2", uscc(90), "上海"),
        (app, "e1", None, "北京"),  # assigned already (in this batch): refused
        (app, "e3", None, "北京"),
        (app, "e4", uscc(n), "北京"),  # the applicant's own organisation: refused
        (app, "exper x", None, "北京"),  # bad input (a space at position 6): refused
    ]


def test_assign_many_equals_assigning_one_by_one(scoring_b: tuple[Campaign, list[int]]) -> None:
    c, apps = scoring_b
    one, many = apps[2:4], apps[6:8]  # ids that no figure of a message repeats
    since = _count(c, one[0])
    assert all(_count(c, a) == since for a in one + many)
    expected = []
    for n, app in zip((3, 4), one, strict=True):
        for a, e, org, prov in _assign_inputs(c, app, n):
            expected.append(
                _one_by_one(
                    lambda a=a, e=e, org=org, prov=prov: handlers.assign_expert(
                        c.lc.db, MINISTRY, a, e, org_uscc=org, province=prov, now=SCORE_AT
                    )
                )
            )
    items = [
        ExpertItem(a, e, org, prov)
        for n, app in zip((7, 8), many, strict=True)
        for a, e, org, prov in _assign_inputs(c, app, n)
    ]
    out = handlers.assign_many(c.lc.db, MINISTRY, items, now=SCORE_AT)
    assert [(r.accepted, r.rule) for r in out] == expected
    assert [r.rule for r in out[:6]] == [
        "Review", "Review", "ExpertAssignedOnce", "Review", "AvoidConflictOfInterest", "InvalidInput",
    ]  # fmt: skip
    for a, b in ((one[0], many[0]), (one[1], many[1])):
        assert _chain(c, a, since) == _chain(c, b, since)
        assert len(_chain(c, b, since)) == 6
        assert _assignments(c, a) == _assignments(c, b) == [
            ("e1", None, "北京"), ("e2", uscc(90), "上海"), ("e3", None, "北京"),
        ]  # fmt: skip
        assert status(c, b) == "expert_scoring"
    # each accepted record names the assignment it made
    with c.lc.db.sessions() as s:
        made = {r.value for r in out if r.accepted}
        named = {
            r.details["assignment"]
            for a in many
            for r in audit.history(s, a)
            if r.trigger == "expert:assign" and r.accepted
        }
        assert (
            made
            == named
            == set(
                s.scalars(
                    select(ExpertAssignment.id).where(ExpertAssignment.application_id.in_(many))
                )
            )
        )
    check_audit(c, apps)


def test_assign_many_refused_items_change_nothing_and_a_wrong_actor_nothing_at_all(
    scoring_b: tuple[Campaign, list[int]],
) -> None:
    c, apps = scoring_b
    before = [_chain(c, a) for a in apps]
    with c.lc.db.sessions() as s:
        trail = len(operator_history(s))
    with pytest.raises(Refused) as info:
        handlers.assign_many(
            c.lc.db, Actor.parse("expert:e1"), [ExpertItem(apps[0], "e1")], now=SCORE_AT
        )
    assert info.value.rule == "EnforceActorRole"
    assert [_chain(c, a) for a in apps] == before
    assert _assignments(c, apps[0]) == []
    with c.lc.db.sessions() as s:
        (refusal,) = operator_history(s)[trail:]
        assert (refusal.accepted, refusal.rule) == (False, "EnforceActorRole")
    # a conflict of interest: its refusal record, no assignment, no move
    out = handlers.assign_many(
        c.lc.db, MINISTRY, [ExpertItem(apps[0], "e4", uscc(1)), ExpertItem(apps[1], "e1")],
        now=SCORE_AT,
    )  # fmt: skip
    assert [(r.accepted, r.rule) for r in out] == [
        (False, "AvoidConflictOfInterest"),
        (True, "Review"),
    ]
    assert _assignments(c, apps[0]) == []
    assert _chain(c, apps[0])[:-1] == before[0]
    assert _chain(c, apps[0])[-1][2:4] == (None, False)
    assert status(c, apps[0]) == "expert_scoring"
    with pytest.raises(NotFound):
        handlers.assign_many(c.lc.db, MINISTRY, [ExpertItem(999_999, "e1")], now=SCORE_AT)
    _verified(c)


def _score_inputs(app: int) -> list[tuple[Actor, int, dict[str, object], str | None]]:
    return [
        (E("e1"), app, {"capability": 35, "results": 50}, None),
        (E("e2"), app, {"capability": 41, "results": 50}, None),  # over the criterion's maximum
        (E("e2"), app, {"capability": 30, "results": 45}, None),
        (E("e1"), app, {"capability": 40, "results": 60}, None),  # scored already (this batch)
        (E("e9"), app, {"capability": 40, "results": 60}, None),  # not assigned
        (Actor.parse("auditor"), app, {"capability": 40, "results": 60}, "e3"),  # the role table
        (E("e3"), app, {"capability": 20.5, "results": 30}, None),
    ]


def E(expert: str) -> Actor:  # noqa: N802 - an actor, named as the role is
    return Actor.parse(f"expert:{expert}")


def test_score_many_equals_scoring_one_by_one(scoring_b: tuple[Campaign, list[int]]) -> None:
    c, apps = scoring_b
    one, many = apps[2:4], apps[6:8]
    since = _count(c, one[0])
    handlers.assign_many(
        c.lc.db, MINISTRY,
        [ExpertItem(a, e, None, "北京") for a in one + many for e in ("e1", "e2", "e3")],
        now=SCORE_AT,
    )  # fmt: skip
    expected = [
        _one_by_one(
            lambda actor=actor, a=a, sc=sc, e=e: handlers.submit_score(
                c.lc.db, actor, a, sc, now=SCORE_AT, expert_id=e
            )
        )
        for app in one
        for actor, a, sc, e in _score_inputs(app)
    ]
    items = [
        ScoreItem(actor, a, sc, expert_id=e)
        for app in many
        for actor, a, sc, e in _score_inputs(app)
    ]
    out = handlers.score_many(c.lc.db, items, now=SCORE_AT)
    assert [(r.accepted, r.rule) for r in out] == expected
    assert [r.accepted for r in out[:7]] == [True, False, True, False, False, False, True]
    assert out[5].rule == "EnforceActorRole"
    sheet = scoring.ScoringSheet.from_mapping(SHEET)
    assert [r.value for r in out[:7] if r.accepted] == [
        scoring.total(sheet, scoring.validate_scores(sheet, sc))
        for _, _, sc, _ in (_score_inputs(0)[i] for i in (0, 2, 6))
    ]
    for a, b in zip(one, many, strict=True):
        assert _chain(c, a, since) == _chain(c, b, since)
        assert len(_chain(c, b, since)) == 3 + 7
        assert _scores(c, a) == _scores(c, b)
        assert [e for e, _, _ in _scores(c, b)] == ["e1", "e2", "e3"]
    check_audit(c, apps)
    # the ranking sees the batch's scores as it sees the others
    ranked = {r.app_id: r.score for rows in c.review.rank(c.id).values() for r in rows}
    assert ranked[one[0]] == ranked[many[0]] is not None


def test_score_many_refused_actor_changes_nothing(scoring_b: tuple[Campaign, list[int]]) -> None:
    c, apps = scoring_b
    handlers.assign_many(c.lc.db, MINISTRY, [ExpertItem(apps[0], "e1")], now=SCORE_AT)
    before = _chain(c, apps[0])
    out = handlers.score_many(
        c.lc.db,
        [ScoreItem(Actor.parse("enterprise:" + uscc(1)), apps[0], {"capability": 1, "results": 1},
                   expert_id="e1")],
        now=SCORE_AT,
    )  # fmt: skip
    assert [(r.accepted, r.rule) for r in out] == [(False, "EnforceActorRole")]
    assert _scores(c, apps[0]) == []
    assert _chain(c, apps[0])[:-1] == before
    last = _chain(c, apps[0])[-1]
    assert (last[0], last[2], last[3]) == ("score:submit", None, False)
    _verified(c)


REPORT_B = example_annual_report("liangrong-2021")


@pytest.fixture
def titles_b(scoring_b: tuple[Campaign, list[int]]) -> tuple[Campaign, list[int]]:
    """The eight confirmed on 2021-12-27 (everyone scored alike), the report on 2022 opened."""
    c, apps = scoring_b
    handlers.assign_many(
        c.lc.db, MINISTRY, [ExpertItem(a, e, None, "北京") for a in apps for e in EXPERTS],
        now=SCORE_AT,
    )  # fmt: skip
    handlers.score_many(
        c.lc.db,
        [ScoreItem(E(e), a, {"capability": 35, "results": 50}) for a in apps for e in EXPERTS],
        now=SCORE_AT,
    )
    c.review.shortlist(c.id, min_score="60", actor=MINISTRY, now=t("2021-12-15T09:00:00"))
    c.review.publish_notice(c.id, at=t("2021-12-20T09:00:00"), actor=MINISTRY)
    closed = c.review.close_notice(c.id, actor=SYSTEM, now=t("2021-12-27T09:00:00"))
    assert sorted(closed.confirmed) == sorted(apps)
    c.review.open_reports("liangrong-2021", 2022, actor=SYSTEM, now=t("2022-10-08"))
    return c, apps


def _report_inputs(app: int, n: int) -> list[tuple[Actor, int, int, dict[str, object]]]:
    bad = {"report": {**REPORT_B["report"], "employees": "很多"}}
    return [
        (me(n), app, 2022, bad),  # its content: refused with every problem
        (me(20), app, 2022, REPORT_B),  # another enterprise: refused
        (Actor.parse("province:广东/commerce"), app, 2022, REPORT_B),  # the role table
        (me(n), app, 2023, REPORT_B),  # not opened
        (me(n), app, 2022, REPORT_B),
        (me(n), app, 2022, REPORT_B),  # submitted already (in this batch)
    ]


@pytest.mark.parametrize("at", ["2022-11-30T23:59:59", "2022-12-05T10:00:00"])
def test_report_many_equals_reporting_one_by_one(
    titles_b: tuple[Campaign, list[int]], at: str
) -> None:
    c, apps = titles_b
    now = t(at)
    since = _count(c, apps[0])
    one, many = [(4, apps[3]), (7, apps[6])], [(5, apps[4]), (8, apps[7])]
    expected = [
        _one_by_one(
            lambda actor=actor, a=a, y=y, d=d: handlers.submit_report(
                c.lc.db, actor, a, y, d, now=now
            )
        )
        for n, app in one
        for actor, a, y, d in _report_inputs(app, n)
    ]
    items = [
        ReportItem(actor, a, y, d) for n, app in many for actor, a, y, d in _report_inputs(app, n)
    ]
    out = handlers.report_many(c.lc.db, items, now=now)
    assert [(r.accepted, r.rule) for r in out] == expected
    assert [r.accepted for r in out[:6]] == [False, False, False, False, True, False]
    assert out[2].rule == "EnforceActorRole"
    late = out[4].value.working_days_late
    assert late == (0 if at.startswith("2022-11-30") else 3)  # Thu 1, Fri 2, Mon 5 December
    for (_, a), (_, b) in zip(one, many, strict=True):
        assert _chain(c, a, since) == _chain(c, b, since)
        assert len(_chain(c, b, since)) == 6
    with c.lc.db.sessions() as s:
        reports = {
            r.title_id: r
            for r in s.scalars(select(AnnualReport).where(AnnualReport.report_year == 2022))
        }
        titles = {tt.application_id: tt.id for tt in s.scalars(select(Title))}
    for (_, a), (_, b) in zip(one, many, strict=True):
        ra, rb = reports[titles[a]], reports[titles[b]]
        assert (ra.data, ra.overdue, ra.working_days_late, ra.calendar_version) == (
            rb.data, rb.overdue, rb.working_days_late, rb.calendar_version,
        )  # fmt: skip
        assert rb.submitted_at is not None and rb.data == REPORT_B
    untouched = reports[titles[apps[0]]]
    assert untouched.submitted_at is None
    check_audit(c, apps)


def test_history_of_an_application_and_of_an_unknown_id(db: Database) -> None:
    from services import queries

    app_id = apply(db, 21)
    rows = queries.history(db, app_id)
    assert [(r.seq, r.trigger, r.accepted) for r in rows] == [(1, "create", True)]
    with pytest.raises(LookupError, match=f"APP: no application with id {app_id + 1000}"):
        queries.history(db, app_id + 1000)
