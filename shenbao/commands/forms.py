"""`shenbao form ...` and `shenbao check`: templates, validation, eligibility and the .docx."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from exports import check_output, write_output
from programs.editions import load_edition
from programs.forms import (
    eligibility,
    export_docx,
    validate_form,
    write_template_xlsx,
)
from programs.forms.resolve import forms_edition_id
from shenbao import args
from shenbao.errors import refusals
from shenbao.wiring import lifecycle

app = typer.Typer(help="Application forms: Excel templates and the Word 申报表.")


@app.command("template")
def template(
    edition: str = typer.Argument(..., help="edition id"),
    kind: str = typer.Argument(..., help="category or applicant kind, e.g. manufacturing"),
    xlsx: Path = typer.Option(..., "--xlsx", help="where to write the .xlsx template"),
    force: bool = typer.Option(False, "--force", help="replace an existing file"),
) -> None:
    """Write the form template: one sheet per section, labels in Chinese."""
    with refusals():
        ed = load_edition(edition)
        ed.category(kind)
        write_output(
            xlsx,
            lambda p: write_template_xlsx(forms_edition_id(ed), kind, p),
            field="--xlsx",
            force=force,
        )
    print(f"template written to {xlsx}")


def _load(application: str) -> tuple[str, str, dict, str]:
    app_id = args.cli(args.record_id, "APP")(application)
    with refusals():
        row = lifecycle().get(app_id)
        forms = forms_edition_id(load_edition(row.campaign.edition_id))
        return forms, row.category, row.form or {}, row.name


@app.command("export")
def export(
    application: str = typer.Argument(..., metavar="APP"),
    docx: Path = typer.Option(..., "--docx", help="where to write the filled 申报表 / 建设方案"),
    force: bool = typer.Option(False, "--force", help="replace an existing file"),
) -> None:
    """Write the filled form as a Word document, opinion blocks left blank for seals."""
    with refusals():
        check_output(docx, field="--docx", force=force)  # before anything is read
    edition, kind, form, name = _load(application)
    with refusals():
        write_output(
            docx,
            lambda p: export_docx(edition, kind, form, p, applicant_name=name),
            field="--docx",
            force=force,
        )
    print(f"written {docx}")


def check(
    application: str = typer.Argument(..., metavar="APP"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Print the form's validation problems and the edition's eligibility criteria."""
    edition, kind, form, name = _load(application)
    issues = validate_form(edition, kind, form)
    report = eligibility(edition, kind, form)
    if as_json:
        print(
            json.dumps(
                {
                    "application": int(application),
                    "edition": edition,
                    "kind": kind,
                    "valid": not issues,
                    "issues": [
                        {"path": i.path, "code": i.code, "zh": i.message_zh, "en": i.message_en}
                        for i in issues
                    ],
                    "eligibility": report.to_dict(),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    print(f"{application} {name} ({edition}, {kind})")
    if issues:
        print(f"表单问题 form problems ({len(issues)}):")
        for i in issues:
            print(f"  {i}")
    else:
        print("表单校验通过 form valid")
    print(f"资格条件 eligibility: {report.status}")
    for line in report.lines():
        print(f"  {line}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="form")
    root.command("check")(check)
