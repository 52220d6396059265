"""A whole campaign through the pages in Chromium, as the people who do it, against a real uvicorn
server on a free port with a simulated clock; a screenshot of every page lands in the test's
output folder (`<tmp>/screenshots`)."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from programs.forms import write_form_xlsx
from tests.integration.web.helpers import PASSWORD, World, center_form, make_world, uscc

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[World, str]]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    world = make_world(tmp_path, base_url=base)
    env = dict(os.environ)
    env.update(
        SHENBAO_DATABASE_URL=world.settings.database_url,
        SHENBAO_MAIL=f"file:{tmp_path / 'outbox'}",
        SHENBAO_WEB_BASE_URL=base,
        SHENBAO_WEB_CLOCK_FILE=str(world.clock),
        SHENBAO_WEB_ALLOW_SIMULATED_CLOCK="1",
    )
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "web.main:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp_path / "server.log").read_text())
            time.sleep(0.3)
        yield world, base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
        world.db.dispose()


def test_a_campaign_walked_through_the_pages(served: tuple[World, str], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    world, base = served
    shots = tmp_path / "screenshots"
    shots.mkdir()
    counter = iter(range(1, 100))

    def shot(page, name: str, *, full: bool = True) -> None:  # type: ignore[no-untyped-def]
        path = shots / f"{next(counter):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=full)

    world.open_campaign()
    # set-up by the operator's shell: the second enterprise's draft, the province, the ministry
    late_app = world.application(2, "晚到数字化转型中心", "湖北")
    world.account("enterprise", uscc(2), "late@applicant.example.cn", "晚到数字化转型中心")
    world.account("province", "湖北/industry", "hb@industry.example.cn", "湖北省工业和信息化厅")
    world.account("ministry", None, "coord@ministry.example.cn", "主管司局")
    for e in ("E01", "E02", "E03"):
        world.account("expert", e, f"{e.lower()}@experts.example.cn", f"专家{e}")
    xlsx = tmp_path / "form.xlsx"
    buf = io.BytesIO()
    write_form_xlsx("szzx-2026-2", "center", buf, center_form(uscc(1), "长江智造数字化转型中心"))
    xlsx.write_bytes(buf.getvalue())

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)

        def person():  # type: ignore[no-untyped-def]
            ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            ctx.set_default_timeout(15_000)
            return ctx.new_page()

        def login(page, email: str) -> None:  # type: ignore[no-untyped-def]
            page.goto(f"{base}/login")
            page.fill("#email", email)
            page.fill("#password", PASSWORD)
            page.click("#login-submit")
            page.wait_for_load_state()

        # 1. the enterprise registers, confirms through the mailed link, and fills its form
        world.at("2026-06-20T23:00:00+08:00")
        ent = person()
        ent.goto(f"{base}/register")
        ent.fill("#uscc", uscc(1))
        ent.fill("#name", "长江智造数字化转型中心")
        ent.fill("#email", "lead@applicant.example.cn")
        shot(ent, "register")
        ent.click("#register-submit")
        expect(ent.locator("#registered")).to_contain_text("lead@applicant.example.cn")
        ent.goto(world.last_link("lead@applicant.example.cn"))
        ent.fill("#password", PASSWORD)
        ent.fill("#password2", PASSWORD)
        shot(ent, "activate")
        ent.click("#activate-submit")
        login(ent, "lead@applicant.example.cn")
        ent.click("#new-application")
        ent.select_option("#province", "湖北")
        ent.click("#create-application")
        own_url = ent.url
        ent.set_input_files("#xlsx-file", str(xlsx))
        ent.click("#xlsx-upload")
        expect(ent.locator("#issue-summary")).to_contain_text("表单校验通过")
        phone = ent.locator("#in-basic-contact_phone")
        phone.fill("12")
        error = ent.locator("#e-basic-contact_phone")
        expect(error).to_contain_text("phone")
        expect(error).to_contain_text("不是有效的电话号码")
        border = phone.evaluate("el => getComputedStyle(el).borderTopColor")
        assert border == "rgb(198, 40, 40)", border
        phone.evaluate("el => el.scrollIntoView({block: 'center'})")
        shot(ent, "form-wrong-field-in-red", full=False)
        phone.fill("027-87659876")
        expect(error).to_have_text("")
        ent.click("#save-form")
        expect(ent.locator("#saved")).to_be_visible()
        # a second before the close
        world.at("2026-06-20T23:59:59+08:00")
        ent.goto(own_url)
        expect(ent.locator("#closes-at")).to_have_text("2026-06-20 23:59:59 +08:00")
        shot(ent, "countdown-last-second", full=False)
        ent.click("#submit-application")
        expect(ent.locator("#app-state")).to_have_text("已提交，等待推荐")
        shot(ent, "submitted", full=False)

        # 2. the second enterprise, a second after the close, is refused
        world.at("2026-06-21T00:00:00+08:00")
        late = person()
        login(late, "late@applicant.example.cn")
        late.goto(f"{base}/enterprise/applications/{late_app}")
        late.click("#submit-application")
        expect(late.locator("#refusal")).to_contain_text("逾期不予受理")
        expect(late.locator(".countdown")).to_have_text("逾期不予受理")
        shot(late, "late-refused", full=False)

        # 3. the province recommends within its quota and sees the gauge
        world.at("2026-06-22T10:00:00+08:00")
        prov = person()
        login(prov, "hb@industry.example.cn")
        expect(prov.locator(".quota-text").first).to_contain_text("已用 0 / 3")
        app_id = int(prov.locator("[id^=decide-]").first.get_attribute("id").split("-")[1])
        prov.fill(f"#reason-{app_id}", "符合条件，同意推荐")
        prov.click(f"#decide-{app_id}")
        expect(prov.locator(".quota-text").first).to_contain_text("已用 1 / 3，剩余 2")
        shot(prov, "province-gauge")

        # 4. the ministry scores through its experts
        world.at("2026-07-15T09:00:00+08:00")
        mini = person()
        login(mini, "coord@ministry.example.cn")
        shot(mini, "ministry-campaigns")
        mini.click("[id^=campaign-link-]")
        mini.click("#define-sheet")
        mini.click("#open-scoring")
        for e in ("E01", "E02", "E03"):
            mini.fill(f"#expert-{app_id}", e)
            mini.fill(f"#expert-province-{app_id}", "北京")
            mini.click(f"#assign-{app_id}")
        shot(mini, "ministry-assigned")
        for e, points in (("E01", "35"), ("E02", "33"), ("E03", "34")):
            ex = person()
            login(ex, f"{e.lower()}@experts.example.cn")
            ex.click(f"#expert-app-{app_id}")
            ex.check("#no-conflict")
            if e == "E01":
                shot(ex, "expert-declaration")
            ex.click("#declare-submit")
            for crit, value in (("capability", points), ("innovation", "25"), ("cases", "24")):
                ex.fill(f"#score-{crit}", value)
            if e == "E01":
                shot(ex, "expert-scoring-sheet", full=False)
            ex.click("#score-submit")
            expect(ex.locator("body")).to_contain_text("已评分")
            ex.context.close()

        # shortlist, then publish the 公示
        world.at("2026-09-10T10:00:00+08:00")
        login(mini, "coord@ministry.example.cn")
        mini.goto(f"{base}/ministry")
        mini.click("[id^=campaign-link-]")
        mini.fill("#top-k", "1")
        mini.click("#shortlist")
        shot(mini, "ministry-shortlist")
        mini.click("#back-to-campaign")
        world.at("2026-09-28T09:00:00+08:00")
        login(mini, "coord@ministry.example.cn")
        mini.goto(f"{base}/ministry")
        mini.click("[id^=campaign-link-]")
        mini.click("#publish")
        expect(mini.locator("[id^=notice-]").first).to_contain_text("2026-10-10 00:00:00 +08:00")
        shot(mini, "ministry-published")

        # 5. a member of the public objects while the period runs
        world.at("2026-10-08T10:00:00+08:00")
        pub = person()
        pub.goto(f"{base}/public/notices")
        expect(pub.locator("body")).to_contain_text("长江智造数字化转型中心")
        shot(pub, "public-notice")
        pub.click(f"#object-{app_id}")
        pub.fill("#contact", "13900000000 张先生")
        pub.fill("#reason", "营业收入与审计报告不符")
        pub.click("#objection-submit")
        expect(pub.locator("#objection-filed")).to_contain_text("异议已受理")
        shot(pub, "public-objection-filed")

        # the ministry resolves it and closes the notice
        login(mini, "coord@ministry.example.cn")
        mini.goto(f"{base}/ministry")
        mini.click("[id^=campaign-link-]")
        oid = mini.locator("button[id^=resolve-]").first.get_attribute("id").split("-")[1]
        mini.fill(f"#resolve-reason-{oid}", "经核查，数据属实")
        mini.click(f"#resolve-{oid}")
        shot(mini, "ministry-objection-resolved")
        world.at("2026-10-10T09:00:00+08:00")
        login(mini, "coord@ministry.example.cn")
        mini.goto(f"{base}/ministry")
        mini.click("[id^=campaign-link-]")
        mini.click("#close-notice")
        expect(mini.locator("#confirmed")).to_contain_text(str(app_id))

        # 6. the enterprise sees 已入选
        login(ent, "lead@applicant.example.cn")
        expect(ent.locator(f"#state-{app_id}")).to_have_text("已入选")
        shot(ent, "enterprise-selected")
        browser.close()
    assert len(list(shots.glob("*.png"))) >= 15
