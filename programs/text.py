"""The one normaliser for every human-entered string: names, reasons, objections, contacts,
expert ids, e-mail addresses.

`clean` returns the text in Unicode NFC with surrounding whitespace removed, or raises ValueError
naming the field and the rule. It refuses, whatever the kind:
- control characters (C0 and C1, DEL, CR and LF; a "multiline" text may hold LF, and CRLF is
  read as LF), lone surrogates (undecodable bytes from a terminal), and
- bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069): text that displays in
  another order than it is stored, e.g. `\u202e司公限有技科` shown as another company's name;
and in names and ids also zero-width and other invisible format characters (U+200B, U+200D,
U+FEFF, U+00AD, …), private-use and unassigned code points. Lengths are counted in characters
after normalisation, as PostgreSQL counts them for a VARCHAR(n), so the limit is the same on
SQLite (which does not enforce it) and PostgreSQL; the limits below are the columns' own.
"""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar

R = TypeVar("R")

Kind = Literal["text", "name", "id", "multiline"]
KINDS = ("text", "name", "id", "multiline")

REASON_MAX = 2000  # reasons, objections, resolutions: TEXT columns, capped here
AUDIT_MESSAGE_MAX = 2000
_BIDI = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)  # embeddings, overrides, isolates, marks


def _name(ch: str) -> str:
    return unicodedata.name(ch, "").title() or "unnamed character"


def clean(value: str, *, field: str, max_len: int, kind: Kind = "text") -> str:
    """`value` normalised (NFC, stripped) or ValueError ``field: ... (rule: ...)``."""
    if kind not in KINDS:
        raise ValueError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    if not isinstance(value, str):
        raise ValueError(f"{field}: must be text, got {type(value).__name__} (rule: type)")
    if kind == "multiline":
        value = value.replace("\r\n", "\n")
    for position, ch in enumerate(value, start=1):
        code = ord(ch)
        category = unicodedata.category(ch)
        if category == "Cc" and not (kind == "multiline" and ch == "\n"):
            raise ValueError(
                f"{field}: contains the control character U+{code:04X} at position {position} "
                "(rule: control_char)"
            )
        if category == "Cs":
            raise ValueError(
                f"{field}: contains bytes that are not UTF-8 text (U+{code:04X}) at position "
                f"{position} (rule: encoding)"
            )
        if ch in _BIDI:
            raise ValueError(
                f"{field}: contains the bidirectional control U+{code:04X} ({_name(ch)}) at "
                f"position {position}, which would display the text in another order "
                "(rule: bidi_control)"
            )
        if kind in ("name", "id") and category in ("Cf", "Co", "Cn"):
            raise ValueError(
                f"{field}: contains the invisible character U+{code:04X} ({_name(ch)}) at "
                f"position {position} (rule: invisible_char)"
            )
        if kind == "id" and ch.isspace():
            raise ValueError(f"{field}: an id holds no spaces (position {position}) (rule: id)")
    # NFC after the scan: the scan must see what was given, the length what is stored
    text = unicodedata.normalize("NFC", value).strip()
    if len(text) > max_len:
        raise ValueError(f"{field}: {len(text)} characters; at most {max_len} (rule: max_len)")
    return text


def optional(value: str | None, *, field: str, max_len: int, kind: Kind = "text") -> str | None:
    """clean() for an optional value: None stays None."""
    return None if value is None else clean(value, field=field, max_len=max_len, kind=kind)


def _visible(ch: str) -> str:
    return ch if ch in "\n\t" else f"\\u{ord(ch):04x}"


def cap(message: str, limit: int = AUDIT_MESSAGE_MAX) -> str:
    """`message` cut to at most `limit` characters, saying how long it was, control characters
    shown as escapes (audit records keep what a refused attempt typed; PostgreSQL holds no NUL).
    Only the first `limit` characters are looked at: a 39-million-character message costs nothing."""
    head = message[:limit]
    if any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n\t" for ch in head):
        head = "".join(
            _visible(ch) if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in head
        )
    if len(message) <= limit and len(head) <= limit:
        return head
    note = f"… [{len(message)} characters, cut]"
    return head[: max(limit - len(note), 0)] + note


def cap_optional(message: str | None, limit: int = AUDIT_MESSAGE_MAX) -> str | None:
    return None if message is None else cap(message, limit)


AUDIT_DETAILS_MAX = 4000


def cap_details(details: Mapping[str, Any] | None) -> dict[str, Any]:
    """Audit details as given, unless their JSON exceeds AUDIT_DETAILS_MAX characters: then the
    long text values are cut (a refused attempt may carry whatever the attacker typed)."""
    if not details:
        return {}
    body = json.dumps(details, ensure_ascii=False, default=str)
    if len(body) <= AUDIT_DETAILS_MAX:
        return dict(details)
    kept = {k: cap(v, 500) if isinstance(v, str) else v for k, v in details.items()}
    if len(json.dumps(kept, ensure_ascii=False, default=str)) <= AUDIT_DETAILS_MAX:
        return kept
    return {"cut": cap(body, 2000)}


def clean_reasons(requests: Sequence[R]) -> list[R]:
    """Requests (store.transitions.Request) with their reasons cleaned (multiline, REASON_MAX)."""
    return [
        dataclasses.replace(r, reason=reason(r.reason))  # type: ignore[type-var]
        if getattr(r, "reason", None) is not None
        else r
        for r in requests
    ]


# ------------------------------------------------------------------ the fields, by their column


def column_length(model: type, column: str) -> int:
    """The VARCHAR length of `model.column` (store.models), the limit of its field."""
    length = model.__table__.c[column].type.length  # type: ignore[attr-defined]
    if length is None:
        raise LookupError(f"{model.__name__}.{column} has no length")
    return int(length)


def applicant_name(value: str, field: str = "--name") -> str:
    from store.models import Application

    return clean(value, field=field, max_len=column_length(Application, "name"), kind="name")


def group_name(value: str | None, field: str = "--group") -> str | None:
    from store.models import Application

    limit = column_length(Application, "group_name")
    return optional(value, field=field, max_len=limit, kind="name")


def email(value: str | None, field: str = "--email") -> str | None:
    from store.models import Application

    limit = column_length(Application, "contact_email")
    return optional(value, field=field, max_len=limit, kind="id")


def reason(value: str | None, field: str = "--reason") -> str | None:
    return optional(value, field=field, max_len=REASON_MAX, kind="multiline")


def reason_required(value: str, field: str = "--reason") -> str:
    return clean(value, field=field, max_len=REASON_MAX, kind="multiline")


def expert_id(value: str, field: str = "--expert") -> str:
    from store.review_models import ExpertAssignment

    limit = column_length(ExpertAssignment, "expert_id")
    return clean(value, field=field, max_len=limit, kind="id")


def objector_contact(value: str, field: str = "--contact") -> str:
    from store.review_models import Objection

    limit = column_length(Objection, "objector_contact")
    return clean(value, field=field, max_len=limit, kind="name")


def contact_name(value: str, field: str = "--name") -> str:
    from store.models import Contact

    return clean(value, field=field, max_len=column_length(Contact, "name"), kind="name")


def contact_scope(value: str, field: str = "SCOPE") -> str:
    from store.models import Contact

    return clean(value, field=field, max_len=column_length(Contact, "scope"), kind="name")


def contact_email(value: str, field: str = "EMAIL") -> str:
    from store.models import Contact

    return clean(value, field=field, max_len=column_length(Contact, "email"), kind="id")


def uscc(value: str | None, field: str = "--org") -> str | None:
    """An optional 统一社会信用代码 (GB 32100-2015), upper-cased; blank is None."""
    if value is None or not value.strip():
        return None
    from programs.forms import check_uscc

    code = clean(value, field=field, max_len=18, kind="id").upper()
    if not check_uscc(code):
        raise ValueError(f"{field}: not a valid 统一社会信用代码 (GB 32100-2015) (rule: uscc)")
    return code


def contact_fields(scope: str, email: str, name: str) -> tuple[str, str, str]:
    """A coordinator's contact: scope, e-mail address and name, each cleaned to its column."""
    return contact_scope(scope), contact_email(email), contact_name(name)


def actor_text(value: str, field: str = "--as") -> str:
    """`role:scope` as given to --as: the scope is stored (actor_scope, 120 characters)."""
    from store.models import AuditRecord

    role_max = column_length(AuditRecord, "actor_role")
    scope_max = column_length(AuditRecord, "actor_scope")
    cleaned = clean(value, field=field, max_len=role_max + 1 + scope_max, kind="name")
    role, _sep, scope = cleaned.partition(":")
    if len(role) > role_max or len(scope) > scope_max:
        raise ValueError(
            f"{field}: the role holds at most {role_max} characters and the scope at most "
            f"{scope_max} (rule: max_len)"
        )
    return cleaned
