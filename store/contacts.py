"""Coordinators' contacts: provincial commerce and industry departments, groups, the ministry."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from programs import text
from programs.provinces import normalize_province
from store.db import Database
from store.models import Contact

ROLES = {
    "province_commerce": "省级商务主管部门",
    "province_industry": "省级工业和信息化主管部门",
    "group": "中央企业集团",
    "ministry": "主管部委",
}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _check(role: str, scope: str, email: str) -> tuple[str, str]:
    if role not in ROLES:
        raise ValueError(f"ROLE: '{role}' is not one of {', '.join(ROLES)}")
    if "\r" in email or "\n" in email or not _EMAIL.fullmatch(email.strip()):
        raise ValueError(f"EMAIL: {email!r} 不是有效的电子邮箱 (not an email address)")
    if role.startswith("province_"):
        scope = normalize_province(scope)
    elif role == "group":
        if not scope.strip():
            raise ValueError("SCOPE: a central enterprise group contact names its group")
    else:
        scope = ""
    return scope, email.strip()


class Contacts:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, role: str, scope: str, email: str, name: str, now: datetime) -> int:
        scope, email, name = text.contact_fields(scope, email, name)
        scope, email = _check(role, scope, email)
        with self.db.transaction() as s:
            existing = s.scalar(
                select(Contact).where(
                    Contact.role == role, Contact.scope == scope, Contact.email == email
                )
            )
            if existing is not None:
                existing.name = name or existing.name
                return existing.id
            contact = Contact(role=role, scope=scope, email=email, name=name, created_at=now)
            s.add(contact)
            s.flush()
            return contact.id

    def remove(self, contact_id: int) -> None:
        with self.db.transaction() as s:
            contact = s.get(Contact, contact_id)
            if contact is None:
                raise LookupError(f"ID: no contact with id {contact_id}")
            s.delete(contact)

    def list(self, role: str | None = None, scope: str | None = None) -> list[Contact]:
        with self.db.sessions() as s:
            stmt = select(Contact).order_by(Contact.role, Contact.scope, Contact.id)
            if role:
                stmt = stmt.where(Contact.role == role)
            if scope is not None:
                stmt = stmt.where(Contact.scope == scope)
            return list(s.scalars(stmt))

    def for_province(self, province: str) -> list[Contact]:
        return [c for c in self.list() if c.role.startswith("province_") and c.scope == province]

    def for_group(self, group: str) -> list[Contact]:
        return self.list("group", group)

    def ministry(self) -> list[Contact]:
        return self.list("ministry")
