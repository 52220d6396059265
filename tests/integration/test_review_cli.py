"""`shenbao scoring|notice|reports|recert` end to end through the command line (file SQLite):
outputs, ties listed for the coordinator, and the exit-2 one-line error contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import uscc
from tests.fixtures.cli import Cli, apply

E = "szzx-2026-2"
M = ("--as", "ministry")
SHEET_YAML = """\
aggregation: mean
conflict_same_province: false
top_k: 1
criteria:
  - {id: capability, label_zh: 服务能力, max_points: 40}
  - {id: results, label_zh: 建设成效, max_points: 60}
"""


def opened(tmp: Path) -> Cli:
    c = Cli(tmp)
    c.ok("db", "upgrade")
    c.ok("campaign", "open", E, "--now", "2026-05-01", "--as", "ministry")
    return c


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return opened(tmp_path)


@pytest.fixture(scope="module")
def refusing_cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """One database for the bad-input cases: each is refused, so none changes it."""
    return opened(tmp_path_factory.mktemp("review-cli"))


def history(cli: Cli, app: str) -> list[tuple[str, bool, str]]:
    return [
        (h["trigger"], h["accepted"], h["rule"])
        for h in json.loads(cli.ok("audit", "history", app, "--json"))
    ]


@pytest.mark.slow
def test_scoring_to_revocation(cli: Cli) -> None:
    apps = [apply(cli, n) for n in (1, 2)]
    for n, app in zip((1, 2), apps, strict=True):
        cli.ok("submit", app, "--as", f"enterprise:{uscc(n)}", "--now", "2026-06-01T09:00")
        cli.ok("review", app, "recommend", "--as", "province:广东", "--now", "2026-06-22T10:00")
    sheet = cli.tmp / "sheet.yaml"
    sheet.write_text(SHEET_YAML, "utf-8")
    assert "2 criteria, aggregation mean" in cli.ok("scoring", "sheet", E, str(sheet), *M)
    opened = cli.ok("scoring", "open", E, "--now", "2026-07-20T09:00", *M)
    assert opened.count("recommended -> expert_scoring") == 2

    # the applicant's own organisation cannot score it: exit 2, one line naming the rule
    line = cli.refused(
        "scoring", "assign", apps[0], "x1", "--org", uscc(1), "--now", "2026-07-21T09:00", *M
    )
    assert line.startswith("利益冲突回避")
    assert history(cli, apps[0])[-1] == ("expert:assign", False, "AvoidConflictOfInterest")

    for app in apps:
        for expert in ("e1", "e2", "e3"):
            assert (
                cli.ok(
                    "scoring",
                    "assign",
                    app,
                    expert,
                    "--province",
                    "北京",
                    *M,
                    "--now",
                    "2026-07-21T09:00",
                )
                .strip()
                .isdigit()
            )
            cli.ok(
                "scoring",
                "score",
                app,
                "--set",
                "capability=30",
                "--set",
                "results=45",
                "--as",
                f"expert:{expert}",
                "--now",
                "2026-07-22T09:00",
            )
    bad = cli.refused(
        "scoring",
        "score",
        apps[0],
        "--set",
        "capability=99",
        "--as",
        "expert:e1",
        "--now",
        "2026-07-22T09:00",
    )
    assert bad.startswith("已评分: expert e1 has already scored")

    ranking = json.loads(cli.ok("scoring", "rank", E, "--json"))
    assert [(r["id"], r["rank"], r["score"]) for r in ranking["center"]] == [
        (int(apps[0]), 1, "75.00"),
        (int(apps[1]), 1, "75.00"),
    ]
    # top_k 1 from the sheet file: the two equal scores tie at the cut; exit 0, nothing decided
    out = cli.ok("scoring", "shortlist", E, "--now", "2026-09-01T09:00", *M)
    assert "ties to decide:" in out
    assert f"applications {apps[0]}, {apps[1]} tied at 75.00 for 1 place(s)" in out
    as_json = json.loads(
        cli.ok("scoring", "shortlist", E, "--json", "--now", "2026-09-01T09:05", *M)
    )
    assert as_json["ties"] == [
        {"category": "center", "score": "75.00", "app_ids": [int(a) for a in apps], "slots_left": 1}
    ]
    assert cli.refused("notice", "publish", E, "--at", "2026-09-28T10:00", *M).startswith(
        "入围名单尚未确定"
    )
    decided = cli.ok(
        "scoring", "resolve-tie", E, "center", apps[1], "--now", "2026-09-02T09:00", *M
    )
    assert f"{apps[1]}: expert_scoring -> shortlisted" in decided
    assert f"{apps[0]}: expert_scoring -> not_shortlisted" in decided

    published = cli.ok("notice", "publish", E, "--at", "2026-09-28T10:00:00+08:00", *M)
    assert "2026-09-28..2026-10-09 9月28日至10月9日（5个工作日）" in published
    late = cli.refused(
        "notice",
        "object",
        apps[1],
        "--contact",
        "13800000000",
        "--reason",
        "材料不实",
        "--as",
        "public",
        "--now",
        "2026-10-10T00:00:01+08:00",
    )
    assert late == (
        "公示期已结束: the notice period ended at 2026-10-09 23:59:59 +08:00 "
        "(objection filed at 2026-10-10 00:00:01 +08:00)"
    )
    assert history(cli, apps[1])[-1] == ("objection:file", False, "ObjectionOnlyDuringNotice")
    early = cli.refused("notice", "close", E, "--as", "system", "--now", "2026-10-09T23:59:59")
    assert early.startswith("公示期未结束")
    closed = json.loads(
        cli.ok("notice", "close", E, "--as", "system", "--json", "--now", "2026-10-10T00:00:00")
    )
    assert closed["confirmed"] == [int(apps[1])]

    xlsx, html = cli.tmp / "notice.xlsx", cli.tmp / "notice.html"
    cli.ok("notice", "export", E, "--xlsx", str(xlsx), "--html", str(html))
    rows = list(load_workbook(xlsx).active.iter_rows(min_row=4, values_only=True))  # type: ignore[union-attr]
    assert rows == [(1, "单位2", "广东", "制造业数字化转型促进中心")]
    assert "单位2" in html.read_text("utf-8")

    # edition E has no recertification and no annual report
    assert cli.refused("recert", "open", apps[1], "--now", "2029-10-12", *M).startswith(
        "本批次未规定复审"
    )
    assert cli.refused("reports", "open", E, "2026", "--now", "2026-12-01", *M).startswith(
        "本批次未规定年度报告"
    )
    assert "须填写理由" in cli.refused("recert", "revoke", apps[1], "--now", "2027-03-01", *M)
    revoked = cli.ok(
        "recert", "revoke", apps[1], "--reason", "未按方案建设", "--now", "2027-03-01", *M
    )
    assert revoked.strip() == f"{apps[1]}: confirmed -> revoked"
    assert json.loads(cli.ok("reports", "overdue", "--province", "广东", "--json")) == []
    assert cli.ok("audit", "verify").startswith("audit trail intact")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("scoring", "sheet", E, "missing.yaml", *M), "FILE: missing.yaml does not exist"),
        (("scoring", "rank", E), "scoring sheet: campaign 1 has no scoring sheet"),
        (("scoring", "shortlist", "nope-2026", *M), "nope-2026"),
        (("scoring", "shortlist", E), "--as: required; scoring shortlist is done by ministry"),
        (("scoring", "shortlist", E, "--as", "auditor"), "审计人员只读"),
        (("scoring", "assign", "abc", "e1", *M), "APP: 'abc' is not an application id"),
        (("scoring", "score", "1", "--set", "x", "--as", "expert:e1"), "--set: 'x'"),
        (("notice", "resolve", "7", "upheld", "--reason", "r", *M), "OBJECTION: no objection"),
        (("notice", "export", E), "--xlsx"),
        (("reports", "overdue", "--province", "火星"), "火星"),
        (("reports", "submit", "1", "2026", "--file", "r.json", "--as", "x"), "--as"),
        (("recert", "renew", "999", *M), "APP: no application with id 999"),
        (("recert", "open"), "--as: required; recert open is done by ministry | system"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    refusing_cli: Cli, args: tuple[str, ...], needle: str
) -> None:
    assert needle in refusing_cli.refused(*args)
