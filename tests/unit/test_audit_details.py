"""Audit details are serialised once for their hash and their row: the text is the canonical
form a verifier recomputes from the stored mapping, and the cap is `programs.text.cap_details`."""

from __future__ import annotations

import copy
import json
import pickle
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from programs.text import AUDIT_DETAILS_MAX, cap_details
from store.audit import FIELDS, canonical, new_row, record_hash, stored_details
from store.db import JSONMapping, json_dumps

# text that tries to look like the record's own keys, quotes and escapes included
tricky = st.lists(
    st.sampled_from(['"', "\\", ":", ",", "{", "}", '"details":null', "null", "申", "\n", "a"]),
    max_size=12,
).map("".join)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**12), 10**12), tricky,
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(tricky, inner, max_size=4)
    ),
    max_leaves=12,
)
detail_maps = st.dictionaries(tricky, values, max_size=6)


def reference(row: dict[str, Any]) -> str:
    """The canonical text by its definition: every field, dumped together, details as a plain
    mapping (as a verifier reads them back)."""
    body = {k: row[k] for k in FIELDS}
    body["accepted"] = bool(body["accepted"])
    body["details"] = dict(body["details"] or {})
    for k in ("at", "recorded_at"):
        body[k] = body[k].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def a_row(details: dict[str, Any] | None, message: str, scope: str | None) -> dict[str, Any]:
    return new_row(
        application_id=7, seq=3, prev_hash="ab" * 32, trigger="submit", from_state="draft",
        to_state="submitted", accepted=True, actor_role="enterprise", actor_scope=scope,
        reason=message, rule="Accepted", message=message,
        at=datetime(2026, 6, 20, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=8))),
        details=details, recorded_at=datetime(2026, 6, 20, 16, 0, 1, tzinfo=UTC),
    )  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(details=detail_maps, message=tricky, scope=st.one_of(st.none(), tricky))
def test_the_hash_is_the_one_a_verifier_recomputes(
    details: dict[str, Any], message: str, scope: str | None
) -> None:
    row = a_row(details, message, scope)
    assert type(row["details"]) is JSONMapping
    assert canonical(row) == reference(row)
    # what the row stores, read back, hashes the same
    stored = json.loads(json_dumps(row["details"]))
    assert stored == json.loads(json.dumps(cap_details(details), ensure_ascii=False, default=str))
    again = {**row, "details": stored}
    assert record_hash(row["prev_hash"], again) == row["hash"]


@settings(max_examples=200, deadline=None)
@given(details=detail_maps)
def test_the_cap_is_cap_details(details: dict[str, Any]) -> None:
    assert dict(stored_details(details)) == cap_details(details)


@pytest.mark.parametrize("size", [100, AUDIT_DETAILS_MAX // 2 - 20, AUDIT_DETAILS_MAX - 30,
                                  AUDIT_DETAILS_MAX, AUDIT_DETAILS_MAX + 1, 5 * AUDIT_DETAILS_MAX])  # fmt: skip
def test_the_cap_at_its_limit(size: int) -> None:
    for details in (
        {"reason": "字" * size},
        {"a": "x" * (size // 2), "b": ["y"] * (size // 8)},
        {f"k{i}": i for i in range(size // 8)},
        {"n": Decimal("1.50"), "t": "\u202e" * (size // 4)},
    ):
        got = stored_details(details)
        assert dict(got) == cap_details(details)
        assert json.loads(got.text) == json.loads(
            json.dumps(cap_details(details), ensure_ascii=False, default=str)
        )


def test_stored_details_cannot_part_from_their_text() -> None:
    got = stored_details({"a": 1})
    with pytest.raises(TypeError):
        got["a"] = 2  # type: ignore[index]
    with pytest.raises(TypeError):
        got.update(b=2)
    assert dict(got) == {"a": 1} and json.loads(got.text) == {"a": 1}
    for twin in (copy.copy(got), copy.deepcopy(got), pickle.loads(pickle.dumps(got))):
        assert type(twin) is dict and twin == {"a": 1}
    assert canonical(a_row(None, "m", None)) == reference(a_row(None, "m", None))
