"""`shenbao form ...` and `shenbao check`: templates, validation, eligibility and the .docx."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from shenbao.commands.common import FORCE, NOW, acting, as_option, authorized, db, now_at, read_db
from shenbao.commands.common import app_id as _app_id
from shenbao.errors import refusals

app = typer.Typer(help="Application forms: Excel templates and the Word 申报表.")


@app.command("template")
def template(
    edition: str = typer.Argument(..., help="edition id"),
    kind: str = typer.Argument(..., help="category or applicant kind, e.g. manufacturing"),
    xlsx: Path = typer.Option(..., "--xlsx", help="where to write the .xlsx template"),
    force: bool = FORCE,
) -> None:
    """Write the form template: one sheet per section, labels in Chinese."""
    from exports.files import write_output
    from programs.editions import load_edition
    from programs.forms import write_template_xlsx
    from programs.forms.resolve import forms_edition_id

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
    app_id = _app_id(application)
    from programs.editions import load_edition
    from programs.forms.resolve import forms_edition_id
    from store.service import Lifecycle

    with refusals():
        row = Lifecycle(read_db()).get(app_id)
        forms = forms_edition_id(load_edition(row.campaign.edition_id))
        return forms, row.category, row.form or {}, row.name


@app.command("export")
def export(
    application: str = typer.Argument(..., metavar="APP"),
    docx: Path = typer.Option(..., "--docx", help="where to write the filled 申报表 / 建设方案"),
    force: bool = FORCE,
) -> None:
    """Write the filled form as a Word document, opinion blocks left blank for seals."""
    from exports.files import check_output, write_output
    from programs.forms import export_docx

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
    from programs.forms import eligibility, validate_form

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


@app.command("save")
def save(
    application: str = typer.Argument(..., metavar="APP"),
    file: Path = typer.Option(..., "--file", help="the form as .json, .yaml or .xlsx"),
    actor: str | None = as_option("form.save"),
    now: str | None = NOW,
) -> None:
    """Save a new version of a draft's form (a consortium is what the form lists)."""
    who = acting("form.save", actor)
    app_id = _app_id(application)
    authorized("form.save", who, now, app_id)
    from services import handlers, queries
    from shenbao.commands.lifecycle import load_form_file

    with refusals():
        row = queries.application(read_db(), app_id)
        form = load_form_file(file, row.edition, row.category)
        version = handlers.save_form(db(), who, app_id, form, now=now_at(now))
    print(f"{app_id}: form version {version}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="form")
    root.command("check")(check)
