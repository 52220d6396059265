"""Forms through the CLI: xlsx intake, `check`, refused submission with every problem, .docx."""

from __future__ import annotations

import json
from pathlib import Path

from docx import Document

from programs.forms import write_form_xlsx
from tests.conftest import uscc, valid_form
from tests.fixtures.cli import Cli


def test_xlsx_intake_check_and_docx(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    cli.ok("campaign", "open", "liangrong-2021", "--now", "2021-11-08", "--as", "ministry")
    template = tmp_path / "template.xlsx"
    assert "template written" in cli.ok(
        "form", "template", "liangrong-2021", "ito", "--xlsx", str(template)
    )
    filled = tmp_path / "filled.xlsx"
    write_form_xlsx(
        "liangrong-2021", "ito", filled, valid_form("liangrong-2021", "ito", uscc(7), "某软件公司")
    )
    out = cli.ok(
        "apply",
        "liangrong-2021",
        "--org",
        uscc(7),
        "--name",
        "某软件公司",
        "--province",
        "江苏",
        "--category",
        "ito",
        "--file",
        str(filled),
        "--as",
        f"enterprise:{uscc(7)}",
        "--now",
        "2021-11-20T10:00",
    )
    app = out.strip().splitlines()[-1]
    report = json.loads(cli.ok("check", app, "--json"))
    assert report["valid"] is True and report["issues"] == []
    assert report["eligibility"]["status"] in ("met", "needs_review")
    docx = tmp_path / "form.docx"
    cli.ok("form", "export", app, "--docx", str(docx))
    text = "\n".join(
        cell.text
        for table in Document(str(docx)).tables
        for row in table.rows
        for cell in row.cells
    )
    assert "某软件公司" in text
    cli.ok("submit", app, "--as", f"enterprise:{uscc(7)}", "--now", "2021-11-21T10:00")


def test_invalid_form_refused_with_the_full_list(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    cli.ok("campaign", "open", "liangrong-2021", "--now", "2021-11-08", "--as", "ministry")
    form = valid_form("liangrong-2021", "manufacturing", uscc(8))
    form["basic"]["email"] = "not-an-email"
    form["basic"]["employees"] = -5
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(form, ensure_ascii=False, default=str), "utf-8")
    app = (
        cli.ok(
            "apply",
            "liangrong-2021",
            "--org",
            uscc(8),
            "--name",
            "某制造公司",
            "--province",
            "江苏",
            "--category",
            "manufacturing",
            "--file",
            str(path),
            "--as",
            f"enterprise:{uscc(8)}",
            "--now",
            "2021-11-20T10:00",
        )
        .strip()
        .splitlines()[-1]
    )
    line = cli.refused("submit", app, "--as", f"enterprise:{uscc(8)}", "--now", "2021-11-21T10:00")
    assert "basic.email" in line and "basic.employees" in line
    assert json.loads(cli.ok("list", "--json"))[0]["state"] == "draft"


def test_form_of_another_organisation_refused(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    cli.ok("campaign", "open", "liangrong-2021", "--now", "2021-11-08", "--as", "ministry")
    path = tmp_path / "other.json"
    form = valid_form("liangrong-2021", "ito", uscc(9))
    path.write_text(json.dumps(form, ensure_ascii=False, default=str), "utf-8")
    line = cli.refused(
        "apply",
        "liangrong-2021",
        "--org",
        uscc(10),
        "--name",
        "x",
        "--province",
        "江苏",
        "--category",
        "ito",
        "--file",
        str(path),
        "--as",
        f"enterprise:{uscc(10)}",
    )
    assert "basic.uscc" in line
    assert json.loads(cli.ok("list", "--json")) == []
