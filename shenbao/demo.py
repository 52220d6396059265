"""`shenbao demo`: a whole campaign on the embedded defaults, with a simulated clock.

About 200 synthetic applicants across provinces and categories go through everything a real
campaign meets: valid and invalid forms, late submissions refused, provincial reviews within and
beyond quota, reminders, expert scoring with a tie at the cut, a 公示 over a holiday with one
objection upheld, confirmation, and the first annual-report round with one late report. The
scheduled parts run as Prefect flows (ephemeral server unless PREFECT_API_URL is set).
"""

from __future__ import annotations

import os
import random
import shutil
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from deadlines import SHANGHAI, format_instant
from programs.editions import Edition, load_edition
from services import handlers
from states.actors import Actor
from states.lifecycle import State
from states.rules import Refusal

MINISTRY = Actor.parse("ministry")


@dataclass(frozen=True)
class Plan:
    """The simulated calendar of one demo edition (all Asia/Shanghai)."""

    opens: datetime
    last_day: datetime  # the last day of the application window, 10:00
    late: datetime  # just after the window closed
    review_days: tuple[datetime, ...]
    after_screening: datetime
    scoring: datetime
    shortlist: datetime
    notice: datetime  # published: the period crosses a public holiday
    objections: datetime
    after_period: datetime  # one second after the period ended
    close_notice: datetime
    reports_open: datetime | None
    report_due_day: datetime | None
    top_k: int


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


PLANS: dict[str, Plan] = {
    # 商办服贸函〔2021〕360号: provinces send by 2021-12-10; 公示 over the 2022 Spring Festival;
    # titles confirmed in 2022 first report on 2023 (自确定次年起), due 2023-11-30.
    "liangrong-2021": Plan(
        opens=at("2021-11-08T09:00:00"),
        last_day=at("2021-12-10T10:00:00"),
        late=at("2021-12-11T00:00:01"),
        review_days=(at("2021-12-06T10:00:00"), at("2021-12-09T15:00:00")),
        after_screening=at("2021-12-11T09:00:00"),
        scoring=at("2022-01-05T09:00:00"),
        shortlist=at("2022-01-20T10:00:00"),
        notice=at("2022-01-28T09:00:00"),
        objections=at("2022-02-07T10:00:00"),
        after_period=at("2022-02-09T00:00:01"),
        close_notice=at("2022-02-09T09:00:00"),
        reports_open=at("2023-10-31T09:00:00"),
        report_due_day=at("2023-11-30T00:00:00"),
        top_k=12,
    ),
    # 工信厅规函〔2026〕238号: window 5/27–6/20, screening 6/21–6/30; 公示 over National Day.
    "szzx-2026-2": Plan(
        opens=at("2026-05-27T09:00:00"),
        last_day=at("2026-06-20T10:00:00"),
        late=at("2026-06-21T00:00:01"),
        review_days=(at("2026-06-23T10:00:00"), at("2026-06-29T15:00:00")),
        after_screening=at("2026-07-01T09:00:00"),
        scoring=at("2026-07-15T09:00:00"),
        shortlist=at("2026-09-10T10:00:00"),
        notice=at("2026-09-28T09:00:00"),
        objections=at("2026-10-08T10:00:00"),
        after_period=at("2026-10-10T00:00:01"),
        close_notice=at("2026-10-10T09:00:00"),
        reports_open=None,
        report_due_day=None,
        top_k=15,
    ),
}

PROVINCES = (
    "广东", "江苏", "浙江", "山东", "河南", "北京", "上海", "湖北", "四川", "福建",
    "安徽", "湖南", "天津", "辽宁", "陕西", "重庆", "江西", "广西", "云南", "甘肃",
    "宁夏", "海南",
)  # fmt: skip


@dataclass
class Applicant:
    app_id: int
    uscc: str
    name: str
    province: str
    category: str
    valid: bool
    email: str


@dataclass
class DemoResult:
    directory: Path
    applicants: list[Applicant] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)


def _uscc(n: int) -> str:
    from programs.forms import make_uscc

    return make_uscc(f"9111010{n:010d}")


class Demo:
    def __init__(self, edition_id: str, directory: Path, console: Console, seed: int = 2026):
        if edition_id not in PLANS:
            raise ValueError(
                f"EDITION: the demo runs {', '.join(PLANS)} (whose whole timeline the shipped "
                f"calendar covers), not '{edition_id}'"
            )
        self.edition: Edition = load_edition(edition_id)
        self.plan = PLANS[edition_id]
        self.dir = directory
        self.console = console
        self.rng = random.Random(seed)
        self.result = DemoResult(directory)

    # -- set-up --------------------------------------------------------------------------------
    def prepare(self) -> None:
        if self.dir.exists():
            for name in ("shenbao.db", "shenbao.db-wal", "shenbao.db-shm", "outbox", "exports"):
                target = self.dir / name
                if target.is_dir():
                    shutil.rmtree(target)
                elif target.exists():
                    target.unlink()
        self.dir.mkdir(parents=True, exist_ok=True)
        os.environ["SHENBAO_DATABASE_URL"] = f"sqlite:///{self.dir / 'shenbao.db'}"
        os.environ["SHENBAO_MAIL"] = f"file:{self.dir / 'outbox'}"
        from services import wiring

        wiring._database.cache_clear()
        self.db = wiring.database()

    def state_of(self, app_id: int) -> str:
        from services import queries

        return queries.application(self.db, app_id).state

    def flow(self, name: str, **params: Any) -> dict[str, Any]:
        from flows.campaign import campaign
        from flows.sweep import deadline_sweep
        from flows.yearly import annual_report_collection

        flows = {
            "campaign": campaign,
            "deadline_sweep": deadline_sweep,
            "annual_report_collection": annual_report_collection,
        }
        from prefect import tags

        with tags(f"edition:{self.edition.id}", f"year:{self.edition.year}", "demo"):
            result = flows[name](**params)
        self.result.events[f"flow:{name}"] += 1
        return result

    def _try(self, kind: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            value = fn(*args, **kwargs)
            self.result.events[f"{kind}:accepted"] += 1
            return value
        except (Refusal, ValueError, LookupError) as exc:
            rule = getattr(exc, "rule", type(exc).__name__)
            self.result.events[f"{kind}:refused:{rule}"] += 1
            return None

    def name_of(self, app_id: int) -> str:
        for a in self.result.applicants:
            if a.app_id == app_id:
                return a.name
        return str(app_id)

    # -- the campaign ----------------------------------------------------------------------------
    def run(self, n: int = 200) -> DemoResult:
        p, ed = self.plan, self.edition
        steps = 10
        with Progress(console=self.console) as progress:
            task = progress.add_task(f"{ed.id}: {ed.title}", total=steps)

            def step(text: str) -> None:
                progress.console.print(f"[bold cyan]▸[/] {text}")
                progress.advance(task)

            self.prepare()
            handlers.add_contact(self.db, MINISTRY, "ministry", "-",
                                 "coordinator@ministry.example.cn", now=p.opens, name="主管司局")  # fmt: skip
            for province in PROVINCES:
                handlers.add_contact(self.db, MINISTRY, "province_commerce", province,
                                     f"{_slug(province)}@commerce.example.cn", now=p.opens,
                                     name=f"{province}商务主管部门")  # fmt: skip
            opened = self.flow("campaign", edition=ed.id, year=ed.year, now=p.opens.isoformat())
            step(f"申报启动（批次 {ed.id}）；下一步 {opened['next_run']}")

            self.apply(n)
            step(f"{n} 家企业创建申报（其中 {sum(a.valid for a in self.result.applicants)} 份"
                 "申报表合格）")  # fmt: skip
            self.submit()
            step("提交申报：合格的受理，不合格的被拒并逐项列明问题")
            self.remind()
            step("截止前 7、3、1 天提醒已写入邮件目录")
            self.late()
            step("截止后提交被拒：逾期不予受理")
            self.provincial_reviews()
            step("省级推荐：名额内推荐，超出名额的被拒并附理由不予推荐")
            after = self.flow("campaign", edition=ed.id, year=ed.year,
                              now=p.after_screening.isoformat())  # fmt: skip
            step(f"申报截止：未提交草稿锁定 {after['done']['lapsed']} 份，推荐情况报主管部委，"
                 f"进入专家评审 {after['done'].get('scoring_opened', 0)} 家")  # fmt: skip
            tie = self.scoring()
            step(f"专家评审；每类前 {p.top_k} 名入围；{tie}")
            notice = self.notice()
            step(notice)
            if p.reports_open is not None:
                step(self.annual_reports())
            else:
                step(f"{ed.id} 未规定年度报告：跳过")
            self.flow("deadline_sweep", now=(p.close_notice + timedelta(days=1)).isoformat())
        return self.result

    def apply(self, n: int) -> None:
        from programs.forms import synthetic_form

        p, ed = self.plan, self.edition
        window = (p.last_day - p.opens).total_seconds()
        for i in range(n):
            province = PROVINCES[min(int(self.rng.expovariate(0.18)), len(PROVINCES) - 1)]
            category = self.rng.choice(ed.category_ids)
            valid = self.rng.random() > 0.12
            form = synthetic_form(ed.id, category, self.rng, valid=valid)
            uscc = _uscc(i + 1)
            key = "lead_name" if "lead_name" in form.get("basic", {}) else "company_name"
            name = f"{province}{_company(self.rng)}{i + 1:03d}"
            if isinstance(form.get("basic"), dict):
                form["basic"]["uscc"] = uscc
                form["basic"][key] = name
            email = f"contact{i + 1:03d}@applicant.example.cn"
            created = p.opens + timedelta(seconds=self.rng.uniform(0, window * 0.5))
            app_id = handlers.create_application(
                self.db, Actor.parse(f"enterprise:{uscc}"), ed.id, uscc=uscc, name=name,
                province=province, category=category, email=email, form=form, now=created,
            )  # fmt: skip
            self.result.applicants.append(
                Applicant(app_id, uscc, name, province, category, valid, email)
            )

    def submit(self) -> None:
        p = self.plan
        window = (p.last_day - p.opens).total_seconds()
        for a in self.result.applicants:
            if a.valid and self.rng.random() < 0.1:
                continue  # forgets: reminded, then locked when the window closes
            when = p.opens + timedelta(seconds=self.rng.uniform(window * 0.5, window * 0.9))
            actor = Actor.parse(f"enterprise:{a.uscc}")
            self._try("submit", handlers.submit, self.db, actor, a.app_id, now=when)

    def remind(self) -> None:
        closes = self.plan.last_day.replace(hour=9, minute=0)
        for days in (7, 3, 1):
            self.flow("deadline_sweep", now=(closes - timedelta(days=days)).isoformat())

    def late(self) -> None:
        drafts = [a for a in self.result.applicants if self.state_of(a.app_id) == "draft"]
        for a in drafts[:5]:
            actor = Actor.parse(f"enterprise:{a.uscc}")
            self._try("late_submit", handlers.submit, self.db, actor, a.app_id, now=self.plan.late)

    def provincial_reviews(self) -> None:
        p = self.plan
        by_province: dict[str, list[Applicant]] = {}
        for a in self.result.applicants:
            if self.state_of(a.app_id) == State.SUBMITTED.value:
                by_province.setdefault(a.province, []).append(a)
        depts = self.edition.reviewing_departments  # 两融: commerce, then industry
        for province, apps in sorted(by_province.items()):
            actors = [Actor.parse(f"province:{province}" + (f"/{d}" if len(depts) > 1 else ""))
                      for d in depts]  # fmt: skip
            actor = actors[-1]
            first_day, last_day = p.review_days
            for a in apps:
                ok = None
                for who in actors:
                    kind = "recommend" if who is actor else "recommend_opinion"
                    ok = self._try(kind, handlers.recommend, self.db, who, a.app_id, now=first_day)
                    if ok is None:
                        break
                if ok is None:  # beyond quota: the province says no, with its reason
                    self._try("reject", handlers.reject, self.db, actor, a.app_id, now=last_day,
                              reason="超出本地区推荐名额")  # fmt: skip

    def scoring(self) -> str:
        p = self.plan
        ed_id, year = self.edition.id, self.edition.year
        sheet = {
            "aggregation": "trimmed_mean",
            "conflict_same_province": True,
            "criteria": [
                {"id": "capability", "label_zh": "综合实力", "max_points": 30, "weight": 3},
                {"id": "innovation", "label_zh": "创新能力", "max_points": 30, "weight": 3},
                {"id": "integration", "label_zh": "融合成效", "max_points": 25, "weight": 2.5},
                {"id": "cases", "label_zh": "典型案例", "max_points": 15, "weight": 1.5},
            ],
        }
        handlers.define_sheet(self.db, MINISTRY, ed_id, sheet, now=p.scoring, year=year)
        apps = [
            a for a in self.result.applicants
            if self.state_of(a.app_id) == State.EXPERT_SCORING.value
        ]  # fmt: skip
        # distinct qualities, so that the only tie is the one made on purpose below
        draws = self.rng.sample(range(4000, 9800), len(apps))
        quality = {a.app_id: Decimal(d) / 100 for a, d in zip(apps, draws, strict=True)}
        # a tie straddling the cut of the largest category
        cat = Counter(a.category for a in apps).most_common(1)[0][0]
        ranked = sorted((a for a in apps if a.category == cat), key=lambda a: -quality[a.app_id])
        if len(ranked) > p.top_k:
            quality[ranked[p.top_k - 1].app_id] = quality[ranked[p.top_k].app_id]
        experts = [f"E{k:02d}" for k in range(1, 8)]
        expert_province = {e: PROVINCES[k * 3 % len(PROVINCES)] for k, e in enumerate(experts)}
        conflict_tried = False
        for a in apps:
            chosen = [e for e in experts if expert_province[e] != a.province][:5]
            if not conflict_tried:  # an expert of the applicant's own organisation is refused
                self._try("assign", handlers.assign_expert, self.db, MINISTRY, a.app_id, "E99",
                          org_uscc=a.uscc, province=None, now=p.scoring)  # fmt: skip
                conflict_tried = True
            for e in chosen:
                handlers.assign_expert(self.db, MINISTRY, a.app_id, e, org_uscc=None,
                                       province=expert_province[e], now=p.scoring)  # fmt: skip
            q = quality[a.app_id] / 100
            scores = {c["id"]: str((Decimal(c["max_points"]) * q).quantize(Decimal("0.01")))
                      for c in sheet["criteria"]}  # fmt: skip
            for e in chosen:
                handlers.submit_score(self.db, Actor.parse(f"expert:{e}"), a.app_id, scores,
                                      expert_id=e, now=p.scoring + timedelta(days=3))  # fmt: skip
        outcome = handlers.shortlist(self.db, MINISTRY, ed_id, top_k=p.top_k, now=p.shortlist,
                                     year=year)  # fmt: skip
        if not outcome.ties:
            return "入围线无并列"
        for tie in outcome.ties:
            choice = sorted(tie.app_ids)[: tie.slots_left]
            handlers.resolve_tie(self.db, MINISTRY, ed_id, tie.category, choice,
                                 now=p.shortlist + timedelta(hours=2), year=year)  # fmt: skip
            names = "、".join(self.name_of(a) for a in tie.app_ids)
            chosen = "、".join(self.name_of(a) for a in choice)
            self.result.notes.append(
                f"{self.edition.category(tie.category).name_zh}入围线并列（{tie.score} 分）：{names}；由主管司局选定 {chosen}"
            )
        cats = "、".join(self.edition.category(t.category).name_zh for t in outcome.ties)
        return f"入围线并列（{cats}）已报主管司局并由其选定"

    def notice(self) -> str:
        p, ed = self.plan, self.edition
        run = self.flow("campaign", edition=ed.id, year=ed.year, now=p.notice.isoformat())
        label = run["done"].get("notice", "")
        listed = [
            a for a in self.result.applicants
            if self.state_of(a.app_id) == State.PUBLIC_NOTICE.value
        ]  # fmt: skip
        upheld, dismissed = listed[0], listed[1]
        contact = "13900000000 张先生"
        public = Actor.parse("public")
        o1 = handlers.file_objection(self.db, public, upheld.app_id, contact=contact,
                                     reason="申报材料中的营业收入与审计报告不符", now=p.objections)  # fmt: skip
        o2 = handlers.file_objection(self.db, public, dismissed.app_id, contact=contact,
                                     reason="疑似存在不良信用记录", now=p.objections)  # fmt: skip
        handlers.resolve_objection(self.db, MINISTRY, o1, "upheld", reason="经核查，营业收入数据不实",
                                   now=p.objections + timedelta(hours=5))  # fmt: skip
        handlers.resolve_objection(self.db, MINISTRY, o2, "dismissed", reason="经核查，信用记录良好",
                                   now=p.objections + timedelta(hours=6))  # fmt: skip
        self._try("late_objection", handlers.file_objection, self.db, public, dismissed.app_id,
                  contact=contact, reason="补充异议", now=p.after_period)  # fmt: skip
        closed = self.flow("deadline_sweep", now=p.close_notice.isoformat())
        self.result.notes.append(
            f"公示 {label}：对 {upheld.name} 的异议成立（移出名单），对 {dismissed.name} 的异议"
            "不成立；公示期结束后 1 秒提出的异议不予受理"
        )
        return f"公示 {label}，异议已核查；公示期满处理 {closed['applied']['notices_closed']} 家"

    def annual_reports(self) -> str:
        from programs.forms import example_annual_report

        p, ed = self.plan, self.edition
        assert p.reports_open is not None and p.report_due_day is not None
        opened = self.flow("annual_report_collection", edition=ed.id,
                           now=p.reports_open.isoformat())  # fmt: skip
        year = opened["report_year"]
        confirmed = [
            a for a in self.result.applicants
            if self.state_of(a.app_id) == State.CONFIRMED.value
        ]  # fmt: skip
        for days in (7, 1):
            self.flow("deadline_sweep",
                      now=(p.report_due_day - timedelta(days=days, hours=-9)).isoformat())  # fmt: skip
        late, missing = confirmed[0], confirmed[1]
        for a in confirmed[2:]:
            data = example_annual_report(ed.id, report={"year": year})
            when = p.report_due_day - timedelta(days=self.rng.randint(1, 20), hours=-10)
            self._try("report", handlers.submit_report, self.db, Actor.parse(f"enterprise:{a.uscc}"),
                      a.app_id, year, data, now=when)  # fmt: skip
        data = example_annual_report(ed.id, report={"year": year})
        one_day_late = p.report_due_day + timedelta(days=1, hours=10)
        submitted = handlers.submit_report(self.db, Actor.parse(f"enterprise:{late.uscc}"),
                                           late.app_id, year, data, now=one_day_late)  # fmt: skip
        self.flow("deadline_sweep", now=(p.report_due_day + timedelta(days=8)).isoformat())
        self.result.notes.append(
            f"{year} 年度报告：{late.name} 于 {format_instant(one_day_late)} 提交，逾期 "
            f"{getattr(submitted, 'working_days_late', '?')} 个工作日；{missing.name} 未提交"
            "（已发送逾期提醒，并通报主管部门）"
        )
        return f"{year} 年度报告：一家逾期提交，一家未提交；已发逾期提醒并通报主管部门"


def _slug(province: str) -> str:
    from programs.provinces import province_code

    return f"p{province_code(province)}"


def _company(rng: random.Random) -> str:
    head = rng.choice(["智造", "数科", "云联", "精工", "华信", "恒通", "博远", "新创"])
    tail = rng.choice(["科技有限公司", "信息技术股份有限公司", "装备制造有限公司", "软件有限公司"])
    return head + tail


# What the summary calls each attempt: a coordinator's words, never a rule's class name.
KIND_ZH = {
    "submit": "提交申报",
    "late_submit": "截止后提交",
    "recommend": "省级推荐",
    "recommend_opinion": "省级部门推荐意见（两个部门中的第一个）",
    "reject": "省级不予推荐",
    "assign": "指派评审专家",
    "late_objection": "公示期后异议",
    "report": "提交年度报告",
}
RULE_ZH = {
    "RefuseInvalidForm": "申报表不合格被拒（逐项列明问题）",
    "RefuseLateSubmission": "逾期不予受理",
    "EnforceProvincialQuota": "超出名额被拒",
    "AvoidConflictOfInterest": "存在利益关系，回避被拒",
    "ObjectionOnlyDuringNotice": "公示期外异议不予受理",
    "RefuseLateRecommendation": "推荐期结束后被拒",
    "RefuseEarlySubmission": "申报期开始前被拒",
}
FLOW_ZH = {
    "campaign": "流程运行 campaign（按时间表推进）",
    "deadline_sweep": "流程运行 deadline-sweep（到期事项与提醒）",
    "annual_report_collection": "流程运行 annual-report-collection（年度报告）",
}


def event_label(key: str) -> str:
    """`recommend:refused:EnforceProvincialQuota` -> `省级推荐 · 超出名额被拒`."""
    kind, _, rest = key.partition(":")
    if kind == "flow":
        return FLOW_ZH.get(rest, f"流程运行 {rest}")
    outcome, _, rule = rest.partition(":")
    what = KIND_ZH.get(kind, kind)
    if outcome == "accepted":
        return f"{what}（附理由）" if kind == "reject" else f"{what} · 通过"
    return f"{what} · {RULE_ZH.get(rule, '被拒')}"


def shenbao_command() -> str:
    """The `shenbao` beside the running interpreter (the venv's), else the one on PATH."""
    import sys

    beside = Path(sys.executable).with_name("shenbao")
    return str(beside) if beside.exists() else "shenbao"


def summary(console: Console, demo: Demo) -> None:
    """Tables per state and per province, then where to look (commands printed whole)."""
    from services import queries

    rows = queries.list_applications(demo.db, edition=demo.edition.id)
    by_state = Counter(a.state for a in rows)
    table = Table(title=f"{demo.edition.id}（{demo.edition.title}）：各状态申报数")
    table.add_column("状态")
    table.add_column("state")
    table.add_column("数量", justify="right")
    for state in State:
        if by_state.get(state.value):
            table.add_row(state.staff_name, state.value, str(by_state[state.value]))
    console.print(table)
    by_province: dict[str, Counter[str]] = {}
    for a in rows:
        by_province.setdefault(a.province or a.group or "-", Counter())[a.state] += 1
    prov = Table(title="各省份")
    cols = ["申报", "获推荐", "确认", "未推荐或未提交"]
    prov.add_column("省份")
    for c in cols:
        prov.add_column(c, justify="right")
    recommended_states = (
        "recommended", "expert_scoring", "shortlisted", "not_shortlisted", "public_notice",
        "confirmed", "removed_after_notice",
    )  # fmt: skip
    for province, c in sorted(by_province.items(), key=lambda kv: -sum(kv[1].values())):
        recommended = sum(c[s] for s in recommended_states)
        other = sum(c.values()) - recommended
        prov.add_row(province, str(sum(c.values())), str(recommended), str(c["confirmed"]),
                     str(other))  # fmt: skip
    console.print(prov)
    events = Table(title="经过")
    events.add_column("事项")
    events.add_column("次数", justify="right")
    for key, value in sorted(demo.result.events.items(), key=lambda kv: event_label(kv[0])):
        events.add_row(event_label(key), str(value))
    console.print(events)
    for note in demo.result.notes:
        console.print(f"• {note}", soft_wrap=True)
    mails = len(list((demo.dir / "outbox").glob("*.eml")))
    first = rows[0] if rows else None
    exe = shenbao_command()
    db = f"SHENBAO_DATABASE_URL=sqlite:///{demo.dir / 'shenbao.db'}"
    prefect = Path(exe).with_name("prefect") if exe != "shenbao" else Path("prefect")
    lines = [
        "",
        "Where to look",
        f"  mail folder:  {demo.dir / 'outbox'}  ({mails} .eml files)",
        f"  database:     {demo.dir / 'shenbao.db'}",
    ]
    if first is not None:
        lines.append(f"  audit trail of {first.name}:")
        lines.append(f"    {db} {exe} audit history {first.id}")
    lines += [
        f"    {db} {exe} audit verify",
        f"  lifecycle:    {exe} states diagram",
        "  Prefect UI (the runs of this demo):",
        f"    PREFECT_HOME={demo.dir / 'prefect'} {prefect} server start   # then open http://127.0.0.1:4200",
    ]  # fmt: skip
    for line in lines:
        console.print(line, soft_wrap=True, highlight=False, markup=False)


def prepare_environment(directory: Path) -> None:
    """Prefect settings of the demo's own, set before prefect is first imported.

    Its own PREFECT_HOME (the ephemeral server's database lives there, so the runs can be looked
    at afterwards) and a start-up timeout generous enough for a busy two-core machine.
    """
    os.environ["PREFECT_HOME"] = str(directory / "prefect")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(STARTUP_TIMEOUT))
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    (directory / "prefect").mkdir(parents=True, exist_ok=True)


STARTUP_TIMEOUT = 600


def what_to_do(exc: BaseException, directory: Path) -> str:
    """One line: what went wrong and what to do about it."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, KeyboardInterrupt):
        return f"shenbao demo: interrupted; run it again (it starts afresh in {directory})"
    if "ephemeral Prefect API server" in text or "Prefect" in type(exc).__module__:
        timeout = os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS")
        return (
            f"shenbao demo: the Prefect server did not answer ({text[:160]}); the machine is busy: "
            f"raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS (now {timeout} s), or run "
            "`prefect server start` in another terminal and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api, then run the demo again"
        )
    return (
        f"shenbao demo: failed: {type(exc).__name__}: {text[:200]}; the traceback is in "
        f"{directory / 'demo-error.log'}; run it again with --dir pointing to an empty folder"
    )


def main(edition: str, directory: Path, applicants: int) -> int:
    """`shenbao demo`: run, summarise; on any failure one line saying what to do (exit 1)."""
    import sys
    import traceback

    directory = directory.resolve()
    prepare_environment(directory)
    console = Console()
    try:
        run = Demo(edition, directory, console)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    try:
        run.run(applicants)
        summary(console, run)
    except (Exception, KeyboardInterrupt) as exc:
        (directory / "demo-error.log").write_text(traceback.format_exc(), encoding="utf-8")
        print(what_to_do(exc, directory), file=sys.stderr)
        return 1
    return 0
