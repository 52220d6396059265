"""The form editor's fieldsets, kept by what they show: the same form shows the same fields and
issues as a fresh validation, a changed value or editability shows anew."""

from __future__ import annotations

import copy

from tests.integration.web.helpers import EDITION, center_form, uscc
from web.forms_ui import issues_by_key, schema_for, sections
from web.render import form_fields


def test_kept_fields_are_those_of_the_form_shown() -> None:
    forms_id, schema = schema_for(EDITION, "center")
    form = center_form(uscc(1), "楚天中心")
    html, found = form_fields(forms_id, "center", schema, form, True)
    assert found == issues_by_key(forms_id, "center", schema, form)[1] == []
    assert "楚天中心" in html and "disabled" not in html

    reordered = dict(reversed(list(copy.deepcopy(form).items())))  # same values, other order
    again, _ = form_fields(forms_id, "center", schema, reordered, True)
    assert again is html  # kept, not rendered again

    locked, _ = form_fields(forms_id, "center", schema, form, False)
    inputs = sum(len(sec.inputs) for sec in sections(schema, form))
    assert locked.count(" disabled") == inputs  # every field of a submitted form locked

    broken = copy.deepcopy(form)
    broken["basic"]["lead_name"] = "<荆楚>"
    del broken["basic"]["uscc"]
    shown, issues = form_fields(forms_id, "center", schema, broken, True)
    assert issues == issues_by_key(forms_id, "center", schema, broken)[1] and issues
    assert "&lt;荆楚&gt;" in shown and "<荆楚>" not in shown and "楚天中心" not in shown
    assert any(i.code in shown for i in issues)  # each issue at its field
