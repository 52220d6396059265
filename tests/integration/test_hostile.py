"""Hostile input through every command that takes a file or a value (tests/data/hostile).

All cases run in one child process (tests.data.hostile.runner, Typer's CliRunner in-process
there), so that the peak memory they reach is that child's alone (os.wait4) and each case's CPU
time is measured with resource.getrusage. Every case must exit 2 with one line naming the field
and the rule, within 2 s of CPU, the whole run within 200 MB above the child's own baseline, and
leave the database as it was apart from the audit records of refusals.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import create_pg_database, drop_pg_database, uscc, valid_form
from tests.data.hostile.corpus import build

ROOT = Path(__file__).resolve().parents[2]
E = "szzx-2026-2"
CPU_LIMIT = 2.0
RSS_GROWTH_LIMIT_KB = 200 * 1024
EXISTING = b"an existing file, not to be replaced\n"
APP = "1"
ENTERPRISE = f"enterprise:{uscc(1)}"
RLO_NAME = "\u202e司公限有技科\u200b腾讯"


def cases(files: dict[str, Path], out: Path) -> list[tuple[str, list[str], tuple[str, ...]]]:
    """(name, argv, substrings the one line must hold: the field and the rule)."""
    f = {name: str(path) for name, path in files.items()}
    score = ["scoring", "score", APP, "--as", "ministry", "--expert", "e1", "--file"]
    report = ["reports", "submit", APP, "2026", "--as", ENTERPRISE, "--file"]
    apply = ["apply", E, "--org", uscc(2), "--province", "广东", "--now", "2026-06-01T10:00",
             "--as", f"enterprise:{uscc(2)}"]  # fmt: skip
    named = apply
    return [
        # ---- structured files: scoring sheets, scores, reports, forms, calendars
        ("sheet alias bomb", ["scoring", "sheet", "--as", "ministry", E, f["alias_bomb.yaml"]], ("FILE", "yaml_alias")),
        ("score alias bomb", [*score, f["alias_bomb.yaml"]], ("--file", "yaml_alias")),
        ("report alias bomb", [*report, f["alias_bomb.yaml"]], ("--file", "yaml_alias")),
        ("sheet deep json", ["scoring", "sheet", "--as", "ministry", E, f["deep_brackets.json"]], ("FILE", "too_deep")),
        ("score deep yaml", [*score, f["deep_brackets.yaml"]], ("--file", "too_deep")),
        ("report deep block yaml", [*report, f["deep_block.yaml"]], ("--file", "too_deep")),
        ("score duplicate json", [*score, f["duplicate_keys.json"]], ("--file", "duplicate_key")),
        ("score duplicate yaml", [*score, f["duplicate_keys.yaml"]], ("--file", "duplicate_key")),
        ("score python tag", [*score, f["python_tag.yaml"]], ("--file", "yaml_tag")),
        ("sheet too large", ["scoring", "sheet", "--as", "ministry", E, f["huge_sheet.json"]], ("FILE", "too_large")),
        (
            "sheet 150 criteria",
            ["scoring", "sheet", "--as", "ministry", E, f["many_criteria.json"]],
            ("FILE", "max_criteria"),
        ),
        (
            "sheet max_points 1e30",
            ["scoring", "sheet", "--as", "ministry", E, f["max_points_1e30.yaml"]],
            ("max_points", "rule: max_points"),
        ),
        ("sheet top_k 10**12", ["scoring", "sheet", "--as", "ministry", E, f["top_k_huge.json"]], ("top_k", "rule: count")),
        ("shortlist min-score 1e30", ["scoring", "shortlist", "--as", "ministry", E, "--min-score", "1e30"], ("--min-score", "rule: points")),
        ("shortlist min-score nan", ["scoring", "shortlist", "--as", "ministry", E, "--min-score", "NaN"], ("--min-score", "rule: points")),
        ("score 1e30 points", [*score, f["scores_1e30.json"]], ("--file", "max_points")),
        ("score 5000-digit int", [*score, f["big_int.json"]], ("--file", "number")),
        ("report utf-16", [*report, f["utf16.json"]], ("--file", "encoding")),
        ("report not a mapping", [*report, f["not_a_mapping.json"]], ("--file", "type")),
        ("sheet is a directory", ["scoring", "sheet", "--as", "ministry", E, f["a_directory.yaml"]], ("FILE", "not_a_file")),
        ("form deep json", [*apply, "--name", "甲", "--file", f["deep_brackets.json"]], ("file", "16")),
        ("form alias bomb", [*apply, "--name", "甲", "--file", f["alias_bomb.yaml"]], ("file", "&a")),
        ("form zip bomb", [*apply, "--name", "甲", "--file", f["zip_bomb.xlsx"]], ("file", "expand")),
        (
            "form 100,000 rows",
            [*apply, "--name", "甲", "--file", f["rows_100k.xlsx"]],
            ("file", "beyond what this form can hold"),
        ),
        ("form far corner", [*apply, "--name", "甲", "--file", f["far_corner.xlsx"]], ("file", "row")),
        (
            "form entity expansion",
            [*apply, "--name", "甲", "--file", f["entity_strings.xlsx"]],
            ("file", "DOCTYPE"),
        ),
        (
            "form external link",
            [*apply, "--name", "甲", "--file", f["external_link.xlsx"]],
            ("file", "external link"),
        ),
        ("form not a zip", [*apply, "--name", "甲", "--file", f["not_a_zip.xlsx"]], ("file", "xlsx")),
        ("calendar deep", ["calendar", "import", "--as", "ministry", f["calendar_deep.toml"]], ("calendar_deep", "too_deep")),
        ("calendar huge", ["calendar", "import", "--as", "ministry", f["calendar_huge.toml"]], ("calendar_huge", "too_large")),
        # ---- ids, years, windows, instants
        ("id arabic-indic digit", ["submit", "١", "--as", "ministry"], ("APP", "rule: id")),
        ("id with underscore", ["submit", "1_0", "--as", "ministry"], ("APP", "rule: id")),
        ("id beyond int64", ["submit", "99999999999999999999999", "--as", "ministry"], ("APP", "rule: id")),
        ("id beyond int4", ["withdraw", "2147483648", "--as", ENTERPRISE], ("APP", "rule: id")),
        ("audit history beyond int4", ["audit", "history", "2147483648"], ("APP", "rule: id")),
        ("audit history arabic-indic", ["audit", "history", "١"], ("APP", "rule: id")),
        ("id zero", ["review", "0", "recommend", "--as", "province:广东"], ("APP", "rule: id")),
        ("objection id", ["notice", "resolve", "1_0", "upheld", "--reason", "r", "--as", "ministry"], ("OBJECTION", "id")),
        ("contact id", ["contacts", "remove", "١", "--as", "ministry"], ("ID", "rule: id")),
        ("form export id", ["form", "export", "1_0", "--docx", str(out / "a.docx")], ("APP", "id")),
        ("preview id", ["notify", "preview", "١", "submitted"], ("APP", "rule: id")),
        ("scoring assign id", ["scoring", "assign", "١", "e1", "--as", "ministry"], ("APP", "rule: id")),
        ("year negative", ["campaign", "open", "--as", "ministry", E, "--year", "-5"], ("--year", "rule: year")),
        ("year 9999", ["campaign", "open", "--as", "ministry", E, "--year", "9999"], ("--year", "rule: year")),
        ("year not the edition's", ["campaign", "open", "--as", "ministry", E, "--year", "2030"], ("--year", "rule: year")),
        ("year arabic-indic", ["scoring", "rank", E, "--year", "٢٠٢٦"], ("--year", "rule: year")),
        ("report year", ["reports", "open", "--as", "ministry", E, "1_0"], ("REPORT_YEAR", "rule: year")),
        ("edition id 10,000 characters", ["campaign", "open", "--as", "ministry", "x" * 10_000], ("edition", "unknown edition")),
        ("edition id CRLF", ["scoring", "rank", E + "\r\n"], ("edition", "\\u000d")),
        ("launch year", ["campaign", "launch", E, "--year", "١"], ("--year", "rule: year")),
        ("calendar year", ["calendar", "show", "٢٠٢٦"], ("year", "rule: integer")),
        ("calendar days", ["calendar", "add-working-days", "2026-09-28", "1_0"], ("n", "rule: integer")),
        (
            "window in 9999",
            ["campaign", "open", "--as", "ministry", E, "--window", "9999-01-01..9999-12-31"],
            ("--window", "window_year"),
        ),
        (
            "screening window in another year",
            ["campaign", "open", "--as", "ministry", E, "--screening", "2027-01-01..2027-02-01"],
            ("--screening", "window_year"),
        ),
        ("now year 1", ["submit", APP, "--as", ENTERPRISE, "--now", "0001-01-01T00:00:00+08:00"], ("--now", "instant_range")),
        ("now year 9999", ["submit", APP, "--as", ENTERPRISE, "--now", "9999-12-31T23:59:59-08:00"], ("--now", "instant_range")),
        ("now garbage", ["notify", "send", "--as", "ministry", "--now", "x" * 10_000], ("--now", "rule: instant")),
        ("top-k huge", ["scoring", "shortlist", "--as", "ministry", E, "--top-k", "99999999999999999999"], ("--top-k", "count")),
        ("batch zero", ["notify", "send", "--as", "ministry", "--batch", "0"], ("--batch", "count")),
        # ---- text fields
        ("name CRLF", [*named, "--name", "恶意公司\r\nBcc: x@evil.example"], ("--name", "control_char")),
        ("name RLO", [*named, "--name", RLO_NAME], ("--name", "bidi_control")),
        ("name zero-width", [*named, "--name", "腾讯\u200b科技"], ("--name", "invisible_char")),
        ("name 300 characters", [*named, "--name", "名" * 300], ("--name", "max_len")),
        ("name 40,000 characters", [*named, "--name", "x" * 40_000], ("--name", "200")),
        ("email CRLF", [*named, "--name", "甲", "--email", "a@b.cn\r\nBcc: c@d.cn"], ("--email", "control_char")),
        ("group bidi", ["apply", E, "--org", uscc(3), "--name", "甲", "--group", "集团\u202e", "--as", f"enterprise:{uscc(3)}"], ("--group", "bidi_control")),
        ("objection contact CRLF", ["notice", "object", APP, "--as", "ministry", "--contact", "a\r\nb", "--reason", "r"], ("--contact", "control_char")),
        ("objection reason NUL", ["notice", "object", APP, "--as", "ministry", "--contact", "a", "--reason", "r\x00"], ("--reason", "control_char")),
        ("objection reason too long", ["notice", "object", APP, "--as", "ministry", "--contact", "a", "--reason", "理" * 2001], ("--reason", "max_len")),
        ("review reason bidi", ["review", APP, "return", "--as", "province:广东", "--reason", "\u2066x"], ("--reason", "bidi_control")),
        ("expert id CRLF", ["scoring", "assign", APP, "--as", "ministry", "e1\r\nx"], ("EXPERT", "control_char")),
        ("expert id too long", ["scoring", "score", APP, "--expert", "e" * 61, "--set", "a=1", "--as", "ministry"], ("--expert", "max_len")),
        ("actor scope 130", ["submit", APP, "--as", "group:" + "集" * 130], ("--as", "max_len")),
        ("expert org 300", ["scoring", "assign", APP, "--as", "ministry", "e1", "--org", "9" * 300], ("--org", "max_len")),
        ("expert org not a uscc", ["scoring", "assign", APP, "--as", "ministry", "e1", "--org", "91440300MA5"], ("--org", "rule: uscc")),
        ("actor scope too long", ["submit", APP, "--as", "expert:" + "e" * 200], ("--as", "max_len")),
        ("contact name bidi", ["contacts", "add", "--as", "ministry", "ministry", "-", "m@gov.cn", "--name", "部\u202e"], ("--name", "bidi_control")),
        ("contact email CRLF", ["contacts", "add", "--as", "ministry", "ministry", "-", "bad\r\nBcc: x@y.z"], ("EMAIL", "control_char")),
        # ---- output files
        ("notice to a directory", ["notice", "export", E, "--xlsx", str(out)], ("--xlsx", "output_is_directory")),
        ("notice missing folder", ["notice", "export", E, "--html", str(out / "no" / "x.html")], ("--html", "output_folder_missing")),
        ("notice over existing", ["notice", "export", E, "--xlsx", str(out / "existing.xlsx")], ("--xlsx", "output_exists")),
        ("notice into /proc", ["notice", "export", E, "--xlsx", "/proc/version", "--force"], ("--xlsx", "output_unwritable")),
        ("template to a directory", ["form", "template", E, "center", "--xlsx", str(out)], ("--xlsx", "output_is_directory")),
        ("template over existing", ["form", "template", E, "center", "--xlsx", str(out / "existing.xlsx")], ("--xlsx", "output_exists")),
        ("docx missing folder", ["form", "export", APP, "--docx", str(out / "no" / "a.docx")], ("--docx", "output_folder_missing")),
        ("docx over existing", ["form", "export", APP, "--docx", str(out / "existing.xlsx")], ("--docx", "output_exists")),
        ("docx to /dev/null", ["form", "export", APP, "--docx", "/dev/null", "--force"], ("--docx", "output_not_regular")),
    ]  # fmt: skip


def _prepare(db_url: str) -> None:
    from states.actors import Actor
    from store.db import Database
    from store.migrations import upgrade
    from store.service import Lifecycle

    upgrade(db_url)
    lc = Lifecycle(Database(db_url))
    from deadlines import parse_instant

    lc.open_campaign(E, now=parse_instant("2026-05-01T09:00"), actor=Actor.parse("ministry"))
    lc.create_application(
        E,
        uscc=uscc(1),
        name="单位1",
        province="广东",
        category="center",
        email="u1@example.com",
        form=valid_form(E, "center", uscc(1), "单位1"),
        now=parse_instant("2026-05-28T09:00"),
    )


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("hostile")
    if request.param == "sqlite":
        db_url, drop = f"sqlite:///{tmp / 'hostile.db'}", None
    else:
        admin = request.getfixturevalue("pg_server")
        name, db_url = create_pg_database(admin)
        drop = (admin, name)
    try:
        yield _run(tmp, db_url)
    finally:
        if drop is not None:
            drop_pg_database(*drop)  # WITH (FORCE): the fixture's own connections go too


def _run(tmp: Path, db_url: str) -> dict[str, Any]:
    _prepare(db_url)
    out = tmp / "out"
    out.mkdir()
    (out / "existing.xlsx").write_bytes(EXISTING)
    files = build(tmp / "corpus")
    table = cases(files, out)
    spec = tmp / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "db_url": db_url,
                "cwd": str(tmp),
                "cases": [{"name": n, "args": a} for n, a, _ in table],
            }
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "SHENBAO_MAIL": f"file:{tmp / 'mail'}"}
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.data.hostile.runner", str(spec)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stdout, stderr = child.stdout.read(), child.stderr.read()  # type: ignore[union-attr]
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0, stderr.decode()[-3000:]
    report = {r["name"]: r for r in json.loads(stdout.decode().strip().splitlines()[-1])}
    return {
        "report": report,
        "expect": {n: e for n, _a, e in table},
        "child_peak_kb": usage.ru_maxrss,
        "out": out,
    }


def _names() -> list[str]:
    dummy = {name: Path(name) for name in _corpus_names()}
    return [name for name, _a, _e in cases(dummy, Path("/out"))]


def _corpus_names() -> list[str]:
    from tests.data.hostile.corpus import COMMITTED

    generated = [
        "deep_brackets.json",
        "deep_brackets.yaml",
        "deep_block.yaml",
        "deep_inline.toml",
        "huge_sheet.json",
        "many_criteria.json",
        "scores_1e30.json",
        "top_k_huge.json",
        "big_int.json",
        "utf16.json",
        "not_a_mapping.json",
        "calendar_deep.toml",
        "calendar_huge.toml",
        "zip_bomb.xlsx",
        "rows_100k.xlsx",
        "far_corner.xlsx",
        "entity_strings.xlsx",
        "external_link.xlsx",
        "not_a_zip.xlsx",
        "a_directory.yaml",
    ]
    return [*COMMITTED, *generated]


@pytest.mark.parametrize("name", _names())
def test_refused_with_one_line_naming_field_and_rule(run: dict[str, Any], name: str) -> None:
    r = run["report"][name]
    assert r["exception"] is None or "SystemExit(2)" in r["exception"], r
    assert r["exit_code"] == 2, r
    lines = r["stderr"].strip().splitlines()
    assert len(lines) == 1, r["stderr"]
    line = lines[0]
    assert len(line) < 600, line
    for needle in run["expect"][name]:
        assert needle in line, (needle, line)
    assert r["stdout"] == "", r["stdout"]


@pytest.mark.parametrize("name", _names())
def test_refusal_is_cheap_and_changes_nothing_but_its_audit_record(
    run: dict[str, Any], name: str
) -> None:
    r = run["report"][name]
    assert r["cpu"] < CPU_LIMIT, r["cpu"]
    assert r["changed_tables"] == [], r["changed_tables"]
    assert r["audit_kept"], "an existing audit record changed"
    assert not any(r["audit_added_accepted"]), "only refusals may be recorded"
    assert r["audit_added_max_len"] < 10_000


def test_the_whole_run_stays_within_200_mb_of_its_baseline(run: dict[str, Any]) -> None:
    report = run["report"].values()
    baseline = min(r["baseline_kb"] for r in report)
    peak = max(r["peak_kb"] for r in report)
    assert run["child_peak_kb"] >= peak  # the kernel's figure for the child agrees
    assert run["child_peak_kb"] - baseline < RSS_GROWTH_LIMIT_KB, (baseline, peak)


def test_an_existing_file_is_kept(run: dict[str, Any]) -> None:
    assert (run["out"] / "existing.xlsx").read_bytes() == EXISTING
    leftovers = [p.name for p in run["out"].iterdir() if p.name != "existing.xlsx"]
    assert leftovers == []  # no temporary file left behind
