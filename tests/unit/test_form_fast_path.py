"""The fast path of form validation gives exactly what the full methods give: per value it either
declines or agrees with no issue, and whole forms have the same typed values, issues and report."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from programs.forms import available_forms, example_form, form_schema, synthetic_form
from programs.forms.eligibility import eligibility_of
from programs.forms.validate import (
    MISS,
    _fast_single,
    _Parser,
    parse_with_schema,
    reference_path,
)

FORMS = [(e, k) for e, kinds in available_forms().items() for k in kinds]
FIELDS = [
    item
    for e, k in FORMS
    for _section, field in form_schema(e, k).iter_fields()
    for item in (field, *field.columns)
    if item.type != "table"
]

RAW = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False),
    st.from_regex(r"-?[0-9]{1,12}(\.[0-9]{1,6})?%?", fullmatch=True),
    st.sampled_from(["１２", "1,200", "12 ", " 12", "50%", "是", "否", "true", "汽车", "a.pdf",
                     "2019-04-12", "2019/04/12", "13612345678", "027-87659876", "a@b.cn",
                     "914201007600789AB7", "x\u202ey", "\x07", ".hidden", "a/b", "\u2028x"]),
    st.text(max_size=30),
    st.lists(st.sampled_from(["汽车", "机械", "电子信息制造", " 汽车", "a.pdf", ""]), max_size=4),
    st.dictionaries(st.sampled_from(["2024", "2025", 2024]), st.integers(0, 99), max_size=3),
)  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(index=st.integers(0, len(FIELDS) - 1), raw=RAW)
def test_fast_value_declines_or_agrees(index: int, raw: Any) -> None:
    item = FIELDS[index]
    fast = _fast_single(item)(raw)
    if fast is MISS:
        return
    with reference_path():
        parser = _Parser(form_schema(*FORMS[0]), keep_invalid=False)
        full = parser.value(item, raw, "x.y")
    assert parser.issues == []
    assert full == fast and type(full) is type(fast)
    if isinstance(full, Decimal):
        assert full.as_tuple() == fast.as_tuple()


def _forms() -> list[tuple[str, str, Any]]:
    rng = random.Random(7)
    out: list[tuple[str, str, Any]] = []
    for e, k in FORMS:
        out.append((e, k, example_form(e, k)))
        for valid in (True, False, False):
            out.append((e, k, synthetic_form(e, k, rng, valid=valid)))
    return out


@pytest.mark.parametrize(("edition", "kind", "form"), _forms())
def test_whole_form_same_as_reference(edition: str, kind: str, form: Any) -> None:
    schema = form_schema(edition, kind)
    typed, issues = parse_with_schema(schema, form)
    report = eligibility_of(schema, form, typed, issues).to_dict()
    with reference_path():
        ref_typed, ref_issues = parse_with_schema(schema, form)
        ref_report = eligibility_of(schema, form, ref_typed, ref_issues).to_dict()
    assert repr(typed) == repr(ref_typed)
    assert [i.to_dict() for i in issues] == [i.to_dict() for i in ref_issues]
    assert report == ref_report


def _edges() -> list[tuple[int, Any]]:
    """Each numeric field's own bounds (min, max, cap, 0, 100) and their neighbours, given as
    int, str and Decimal: where a fast path's comparison is off by one, these show it."""
    out: list[tuple[int, Any]] = []
    for index, item in enumerate(FIELDS):
        if item.type not in ("int", "decimal", "percent", "year"):
            continue
        bounds = {Decimal(0), Decimal(100)}
        bounds.update(Decimal(b) for b in (item.min, item.max, item.cap) if b is not None)
        for bound in bounds:
            for step in (Decimal(-1), Decimal("-0.01"), Decimal(0), Decimal("0.01"), Decimal(1)):
                value = bound + step
                out.append((index, value))
                out.append((index, format(value, "f")))
                if value == value.to_integral_value():
                    out.append((index, int(value)))
    return out


@pytest.mark.parametrize(("index", "raw"), _edges())
def test_fast_value_at_the_bounds_declines_or_agrees(index: int, raw: Any) -> None:
    test_fast_value_declines_or_agrees.hypothesis.inner_test(index=index, raw=raw)  # type: ignore[attr-defined]
