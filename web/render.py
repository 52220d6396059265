"""Server-rendered pages: one jinja2 environment (autoescaped), instants in Asia/Shanghai."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from deadlines import format_instant
from states.lifecycle import State
from web import i18n
from web.deps import CSRF_COOKIE, Auth, context_of, csrf_token_for, lang_of, resolve_auth

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _sh(value: datetime | None) -> str:
    return format_instant(value) if value is not None else "—"


def _applicant_state(value: str) -> str:
    try:
        return State(value).applicant_name
    except ValueError:
        return value


def _staff_state(value: str) -> str:
    try:
        return State(value).staff_name
    except ValueError:
        return value


env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html", "j2"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
    # templates ship with the package: compiled once per process, never a stat() per render
    auto_reload=False,
    cache_size=-1,
)


def _edition_title(edition_id: str) -> str:
    """An edition's title as people read it (its id only if the edition file is gone)."""
    from programs.editions import EditionError, load_edition

    try:
        return load_edition(edition_id).title
    except EditionError:
        return edition_id


def _category_name(category: str, edition_id: str) -> str:
    """A category's Chinese name in its edition (制造业类, 信息技术服务外包类, ...)."""
    from programs.editions import EditionError, load_edition

    try:
        return load_edition(edition_id).category(category).name_zh
    except (EditionError, LookupError, ValueError):
        return category


def _queue_rows(rows: list[Any], names: dict[str, str], csrf: str, lang: str) -> Markup:
    """The rows of a reviewer's queue, each with its decision form: built here, not by the
    template, because a province's queue holds hundreds of them (~3 µs a row, ~30 µs in jinja);
    each row's HTML is kept (`_queue_row`, by everything it shows) and only the session's CSRF
    field is put between its halves. Every text from the database is escaped; ids are integers."""
    if not rows:
        return Markup(f'<tr><td colspan="6">{escape(i18n.t("none", lang))}</td></tr>')
    hidden = f'<input type="hidden" name="csrf_token" value="{escape(csrf)}">'
    out = []
    for a in rows:
        head, tail = _queue_row(
            int(a.id), a.name, names[a.category], bool(a.consortium), a.eligibility, lang
        )
        out += (head, hidden, tail)
    return Markup("".join(out))


@lru_cache(maxsize=20_000)
def _queue_row(
    i: int, name: str, category: str, consortium: bool, eligibility: str | None, lang: str
) -> tuple[str, str]:
    """One queue row's HTML before and after its CSRF field."""
    choices = "".join(
        f'<option value="{d}">{escape(i18n.t(d, lang))}</option>'
        for d in ("recommend", "return", "reject")
    )
    reason = escape(i18n.t("reason", lang))
    head = (
        f'<tr id="row-{i}"><td><a href="/review/applications/{i}">{i}</a></td>'
        f"<td>{escape(name)}</td><td>{escape(category)}</td>"
        f"<td>{'是' if consortium else '否'}</td><td>{escape(eligibility or '—')}</td>\n"
        f'<td><form method="post" action="/review/applications/{i}/decide">\n  '
    )
    tail = (
        f'\n  <select name="decision" id="decision-{i}">{choices}</select>\n'
        f'  <input name="reason" placeholder="{reason}" maxlength="2000" id="reason-{i}">\n'
        f'  <button type="submit" id="decide-{i}">确定</button></form></td></tr>\n'
    )
    return head, tail


FIELDS_KEPT = 256  # forms whose editor is kept rendered (~25 kB each)
_fields: OrderedDict[tuple[str, str, bool, str], tuple[Markup, tuple[Any, ...]]] = OrderedDict()
_fields_lock = threading.Lock()


def form_fields(
    forms_id: str, category: str, schema: Any, data: Mapping[str, Any], editable: bool
) -> tuple[Markup, list[Any]]:
    """The form editor's fieldsets of `data` (every field with its value and issues) and the
    form's issues (`forms_ui.issues_by_key`). Kept by everything they depend on: the form set,
    the category, whether the fields are editable, and the form's values (its JSON text, keys
    sorted), so a page shown again (an applicant's, between saves) is neither validated nor
    rendered again; the form set's schema is loaded once per process, so it does not change
    under a kept entry. The least recently shown are dropped past `FIELDS_KEPT`."""
    from web.forms_ui import issues_by_key, sections

    key = (forms_id, category, editable, json.dumps(data, sort_keys=True, ensure_ascii=False,
                                                     default=str))  # fmt: skip
    with _fields_lock:
        kept = _fields.get(key)
        if kept is not None:
            _fields.move_to_end(key)
    if kept is None:
        by_key, found = issues_by_key(forms_id, category, schema, data)
        html = env.get_template("enterprise/_fields.html").render(
            sections=sections(schema, data), issues=by_key, editable=editable
        )
        kept = (Markup(html), tuple(found))
        with _fields_lock:
            _fields[key] = kept
            while len(_fields) > FIELDS_KEPT:
                _fields.popitem(last=False)
    return kept[0], list(kept[1])


def warm_up() -> None:
    """What a server process would otherwise do on its first requests: every page template
    compiled and every shipped form schema loaded (about a second, once per worker, so that
    no visitor's request pays it)."""
    from programs.forms import available_forms, form_schema

    for path in sorted(TEMPLATES.rglob("*.html")):
        env.get_template(path.relative_to(TEMPLATES).as_posix())
    for forms_id, kinds in available_forms().items():
        for kind in kinds:
            form_schema(forms_id, kind)


env.globals["queue_rows"] = _queue_rows
env.filters["sh"] = _sh
env.filters["edition_title"] = _edition_title
env.filters["category_name"] = _category_name
env.filters["applicant_state"] = _applicant_state
env.filters["staff_state"] = _staff_state
env.filters["iso"] = lambda v: v.isoformat() if v is not None else ""


def page(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
    c = context_of(request)
    a: Auth = resolve_auth(request, c)
    lang = lang_of(request)
    csrf = csrf_token_for(request, a)
    now = c.now()
    body = env.get_template(name).render(
        request=request,
        who=a.principal,
        csrf=csrf,
        lang=lang,
        t=lambda key: i18n.t(key, lang),
        now=now,
        simulated=c.settings.simulated,
        oidc=c.settings.oidc,
        status=status,
        **values,
    )
    response = HTMLResponse(body, status_code=status)
    if a.principal is None and request.cookies.get(CSRF_COOKIE) != csrf:
        response.set_cookie(
            CSRF_COOKIE,
            csrf,
            httponly=True,
            samesite="lax",
            secure=c.settings.secure_cookies,
            path="/",
        )
    return response
