"""A province's queue: every submitted application of its own, no other's, sortable by any column."""

from __future__ import annotations

import re

from tests.integration.web.helpers import World, uscc
from web import acts

NAMES = ["丙中心", "甲中心", "乙中心", "丁中心"]


def _ids_in_order(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr id="row-(\d+)">', html)]


def test_the_queue_lists_all_its_own_sorted_as_asked(world: World) -> None:
    world.open_campaign()
    ids = []
    for k, name in enumerate(NAMES, start=1):
        app_id = world.application(k, name, "广东")
        acts.submit(world.svc, world.principal("enterprise", uscc(k)), app_id, now=world.now())
        ids.append(app_id)
    other = world.application(9, "外省中心", "江苏")
    acts.submit(world.svc, world.principal("enterprise", uscc(9)), other, now=world.now())
    draft = world.application(8, "草稿中心", "广东")
    p = world.login(world.account("province", "广东/industry", "gd@commerce.example.cn"))

    page = p.get("/review")
    assert page.status_code == 200
    assert _ids_in_order(page.text) == sorted(ids)  # id order by default; no draft, no 江苏
    assert f'id="row-{other}"' not in page.text and f'id="row-{draft}"' not in page.text
    assert f'id="decide-{ids[0]}"' in page.text and 'aria-sort="ascending"' in page.text

    by_name = dict(zip(NAMES, ids, strict=True))
    asc = _ids_in_order(p.get("/review?sort=name").text)
    assert asc == [by_name[n] for n in sorted(NAMES)]
    desc = p.get("/review?sort=name&order=desc")
    assert _ids_in_order(desc.text) == list(reversed(asc))
    assert 'aria-sort="descending"' in desc.text
    assert _ids_in_order(p.get("/review?sort=id&order=desc").text) == sorted(ids, reverse=True)

    bad = p.get("/review?sort=form")
    assert bad.status_code == 422 and "sort" in bad.text
    assert p.get("/review?order=up").status_code == 422


def test_queue_rows_escape_and_carry_each_sessions_csrf() -> None:
    from web.queries import ReviewRow
    from web.render import _queue_rows

    row = ReviewRow(7, 1, "<b>楚天</b>&Co", "9142", "center", True, "submitted", None)
    names = {"center": "中心类"}
    first = str(_queue_rows([row], names, "tok-A", "zh"))
    second = str(_queue_rows([row], names, "tok-<B>", "zh"))  # the same row, kept, another csrf
    assert 'value="tok-A"' in first and "tok-A" not in second
    assert 'value="tok-&lt;B&gt;"' in second
    assert "&lt;b&gt;楚天&lt;/b&gt;&amp;Co" in first and "<b>楚天" not in first
    assert first.count('action="/review/applications/7/decide"') == 1
    renamed = ReviewRow(7, 1, "荆楚", "9142", "center", True, "submitted", "passed")
    third = str(_queue_rows([renamed], names, "tok-A", "zh"))
    assert "荆楚" in third and "passed" in third and "楚天" not in third
    assert first.replace("tok-A", "tok-&lt;B&gt;") == second


def _cells(html: str) -> dict[int, list[str]]:
    """Each queue row's cells, by application id."""
    rows = re.findall(r'<tr id="row-(\d+)">(.*?)</tr>', html, flags=re.S)
    return {int(i): re.findall(r"<td>(.*?)</td>", body, flags=re.S) for i, body in rows}


def test_the_queue_shows_each_forms_eligibility_as_its_stored_check_says(world: World) -> None:
    from sqlalchemy import select

    from store.models import Application
    from tests.integration.web.helpers import center_form

    world.open_campaign()
    ids = []
    for k, name in enumerate(NAMES, start=1):
        app_id = world.application(k, name, "广东")
        if k % 2 == 0:  # below the 2 years of service asked: not met, still a complete form
            form = center_form(uscc(k), name)
            form["basic"]["service_years"] = "1"
            who = world.principal("enterprise", uscc(k))
            acts.save_form(world.svc, who, app_id, form, now=world.now())
        acts.submit(world.svc, world.principal("enterprise", uscc(k)), app_id, now=world.now())
        ids.append(app_id)
    p = world.login(world.account("province", "广东/industry", "gd@commerce.example.cn"))

    # what the queue showed when it read the verdict out of the stored check's JSON
    in_check = Application.form_check[("eligibility", "status")].as_string()
    with world.db.sessions() as s:
        expected = dict(s.execute(select(Application.id, in_check)).tuples().all())
    assert sorted(expected[i] for i in ids) == ["needs_review"] * 2 + ["not_met"] * 2

    cells = _cells(p.get("/review").text)
    assert sorted(cells) == sorted(ids)
    assert {i: cells[i][4] for i in ids} == {i: expected[i] for i in ids}

    by_eligibility = _ids_in_order(p.get("/review?sort=eligibility").text)
    assert by_eligibility == sorted(ids, key=lambda i: (expected[i], i))
    assert by_eligibility != sorted(ids)  # the verdicts alternate, so the order changes


def test_the_queue_counts_its_quota_from_its_rows_as_the_query_does(world: World) -> None:
    world.open_campaign()
    ids = []
    for k, name in enumerate(NAMES, start=1):
        app_id = world.application(k, name, "广东")
        acts.submit(world.svc, world.principal("enterprise", uscc(k)), app_id, now=world.now())
        ids.append(app_id)
    world.at("2026-06-22T10:00:00+08:00")  # the screening window
    gd = world.principal("province", "广东/industry")
    acts.review(world.svc, gd, ids[0], "recommend", reason="", now=world.now())
    q = world.app.state.ctx.queries
    (campaign,) = q.campaign_list()
    rows = q.review_rows(gd)
    read = q.quota(gd, campaign)
    assert read == q.quota(gd, campaign, rows)
    assert max(line.used for line in read) == 1  # the one recommendation, counted
