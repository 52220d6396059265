"""Identities of the web service: accounts bound to one actor scope, sessions, API tokens,
one-time links, login throttling and experts' conflict declarations.

Secrets never reach the database in clear: session ids, API tokens and one-time tokens are stored
as their SHA-256; passwords as Argon2id hashes. Every function takes the caller's session and an
aware `now`, and commits nothing itself.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    bindparam,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from deadlines import format_instant, require_aware
from store.models import Base

# ---------------------------------------------------------------------------------------------
# Policy of the door (numbers, not business rules of the programs)

SESSION_LIFETIME = timedelta(hours=8)
SESSION_IDLE = timedelta(hours=2)
CONFIRM_LIFETIME = timedelta(hours=48)
INVITE_LIFETIME = timedelta(days=7)
MAX_FAILURES = 5  # consecutive failed logins before the account is locked
LOCK_FOR = timedelta(minutes=15)
IP_WINDOW = timedelta(minutes=15)
IP_MAX_FAILURES = 30  # failed logins from one address inside IP_WINDOW before it is throttled
MIN_PASSWORD = 10
MAX_PASSWORD = 256
TOKEN_SCOPES = ("read", "write")

ROLES = ("enterprise", "province", "group", "ministry", "expert", "auditor")
DEPARTMENTS = ("commerce", "industry")
_EMAIL = re.compile(
    r"[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]{1,189}\.[^@\s\x00-\x1f\x7f]{1,63}"
)
_SCOPE_TEXT = re.compile(r"[^\x00-\x1f\x7f/:<>\"'&\u202a-\u202e\u2066-\u2069]{1,80}")

_hasher = PasswordHasher()  # argon2id, the library's current recommended parameters


class AccountError(ValueError):
    """A refused account act; `rule` names the rule, `str()` is the one line shown."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


# ---------------------------------------------------------------------------------------------
# Models


class Account(Base):
    """One person's door: bound to exactly one actor (`enterprise:<USCC>`, `province:广东/commerce`,
    `group:<name>`, `ministry`, `expert:<id>`, `auditor`)."""

    __tablename__ = "web_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str | None] = mapped_column(String(160))
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending|active|disabled
    password_hash: Mapped[str | None] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    lang: Mapped[str] = mapped_column(String(8), default="zh")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(160), default="")
    confirmed_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]

    @property
    def actor_text(self) -> str:
        return f"{self.role}:{self.scope}" if self.scope else self.role


class WebSession(Base):
    """A server-side session: the cookie holds a random id, the table only its SHA-256."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("web_account.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    client: Mapped[str] = mapped_column(String(64), default="")


class ApiToken(Base):
    """A bearer token for schedulers and auditors: hashed, scoped (read / write), expiring."""

    __tablename__ = "web_api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("web_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class OneTimeToken(Base):
    """A confirmation or invitation link: usable once, before it expires."""

    __tablename__ = "web_one_time_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))  # confirm | invite
    account_id: Mapped[int] = mapped_column(ForeignKey("web_account.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class LoginAttempt(Base):
    """Every login attempt, kept for throttling and for the record."""

    __tablename__ = "web_login_attempt"
    __table_args__ = (Index("ix_web_login_attempt_client_at", "client", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    client: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime]
    success: Mapped[bool] = mapped_column(Boolean)
    rule: Mapped[str] = mapped_column(String(60), default="")


class ConflictDeclaration(Base):
    """An expert's declaration of interest on one assigned application, before seeing its form."""

    __tablename__ = "web_conflict_declaration"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    expert_id: Mapped[str] = mapped_column(String(80))
    has_conflict: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime]
    declared_by: Mapped[str] = mapped_column(String(160))


class PublicSubmission(Base):
    """Rate limit of the public objection form: one row per attempt from one client."""

    __tablename__ = "web_public_submission"
    __table_args__ = (Index("ix_web_public_submission_client_at", "client", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# ---------------------------------------------------------------------------------------------
# Helpers


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_password(password: str) -> str:
    check_password(password)
    return _hasher.hash(password)


def check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AccountError(
            "PasswordLength", f"password: 密码至少{MIN_PASSWORD}个字符 (at least {MIN_PASSWORD})"
        )
    if len(password) > MAX_PASSWORD:
        raise AccountError(
            "PasswordLength", f"password: 密码不超过{MAX_PASSWORD}个字符 (at most {MAX_PASSWORD})"
        )


def normalize_email(email: str) -> str:
    text = (email or "").strip().lower()
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        raise AccountError(
            "EmailFormat", f"email: '{email[:80]}' 不是有效的电子邮箱 (not an email)"
        )
    return text


def parse_scope(role: str, scope: str | None) -> tuple[str, str | None]:
    """Check an account's actor: the role and, for scoped roles, the scope text."""
    role = (role or "").strip().lower()
    if role not in ROLES:
        raise AccountError(
            "AccountRole", f"role: '{role}' 不是可用的角色 (one of {', '.join(ROLES)})"
        )
    scope = (scope or "").strip() or None
    if role in ("ministry", "auditor"):
        if scope:
            raise AccountError("AccountScope", f"scope: role {role} takes no scope")
        return role, None
    if scope is None:
        raise AccountError("AccountScope", f"scope: role {role} needs a scope")
    if role == "enterprise":
        from programs.forms import check_uscc

        scope = scope.upper()
        if not check_uscc(scope):
            raise AccountError(
                "USCCCheck",
                f"uscc: '{scope[:30]}' 不是有效的统一社会信用代码 (fails the GB 32100-2015 check)",
            )
        return role, scope
    if role == "province":
        from programs.provinces import normalize_province

        name, _, dept = scope.partition("/")
        try:
            short = normalize_province(name)
        except ValueError as exc:
            raise AccountError("ProvinceName", f"scope: {exc}") from None
        dept = dept.strip().lower()
        if dept and dept not in DEPARTMENTS:
            raise AccountError(
                "ProvinceDepartment",
                f"scope: department '{dept[:20]}' is not one of {', '.join(DEPARTMENTS)}",
            )
        return role, f"{short}/{dept}" if dept else short
    if not _SCOPE_TEXT.fullmatch(scope):
        raise AccountError(
            "AccountScope", f"scope: '{scope[:40]}' 含有不允许的字符或过长 (1–80 plain characters)"
        )
    return role, scope


# ---------------------------------------------------------------------------------------------
# Accounts


def get_by_email(s: Session, email: str) -> Account | None:
    return s.scalar(select(Account).where(Account.email == email.strip().lower()))


def create_account(
    s: Session,
    *,
    email: str,
    role: str,
    scope: str | None,
    display_name: str,
    now: datetime,
    created_by: str,
    purpose: str,
) -> tuple[Account, str]:
    """A pending account and its one-time link token (returned in clear, stored hashed)."""
    require_aware(now, "now")
    email = normalize_email(email)
    role, scope = parse_scope(role, scope)
    if get_by_email(s, email) is not None:
        raise AccountError(
            "EmailTaken", f"email: {email} 已注册 (an account with this e-mail exists)"
        )
    from programs.text import clean

    try:  # the one normaliser: NFC, no controls, no bidi or invisible characters, 200 at most
        name = clean(display_name or "", field="name", max_len=200, kind="name")
    except ValueError as exc:
        raise AccountError("DisplayName", str(exc)) from None
    account = Account(
        email=email,
        display_name=name,
        role=role,
        scope=scope,
        status="pending",
        created_at=now,
        created_by=created_by,
        failed_logins=0,
    )
    s.add(account)
    s.flush()
    token = issue_one_time(s, account, purpose, now)
    return account, token


def issue_one_time(s: Session, account: Account, purpose: str, now: datetime) -> str:
    lifetime = CONFIRM_LIFETIME if purpose == "confirm" else INVITE_LIFETIME
    token = new_token()
    s.add(
        OneTimeToken(
            token_hash=digest(token),
            purpose=purpose,
            account_id=account.id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


def peek_one_time(s: Session, token: str, now: datetime) -> tuple[OneTimeToken, Account]:
    row = s.scalar(select(OneTimeToken).where(OneTimeToken.token_hash == digest(token or "")))
    if row is None:
        raise AccountError("OneTimeToken", "token: 链接无效 (this link is not valid)")
    if row.used_at is not None:
        raise AccountError("OneTimeToken", "token: 链接已使用 (this link was already used)")
    if now >= row.expires_at:
        raise AccountError(
            "OneTimeToken", f"token: 链接已于{format_instant(row.expires_at)}过期 (link expired)"
        )
    account = s.get(Account, row.account_id)
    assert account is not None
    if account.status == "disabled":
        raise AccountError("AccountDisabled", "account: 账户已停用 (the account is disabled)")
    return row, account


def redeem_one_time(s: Session, token: str, password: str, now: datetime) -> Account:
    """Use a confirmation or invitation link once: sets the password and activates."""
    row, account = peek_one_time(s, token, now)
    account.password_hash = hash_password(password)
    account.status = "active"
    account.confirmed_at = now
    row.used_at = now
    return account


def disable(s: Session, email: str, now: datetime) -> Account:
    account = get_by_email(s, email)
    if account is None:
        raise AccountError("NoSuchAccount", f"email: no account {email[:80]}")
    account.status = "disabled"
    account.disabled_at = now
    for ws in s.scalars(select(WebSession).where(WebSession.account_id == account.id)):
        if ws.revoked_at is None:
            ws.revoked_at = now
    for tok in s.scalars(select(ApiToken).where(ApiToken.account_id == account.id)):
        if tok.revoked_at is None:
            tok.revoked_at = now
    return account


def list_accounts(s: Session) -> list[Account]:
    return list(s.scalars(select(Account).order_by(Account.id)))


# ---------------------------------------------------------------------------------------------
# Login


_DUMMY_HASH = _hasher.hash("not-a-password-of-anyone")


def authenticate(s: Session, email: str, password: str, client: str, now: datetime) -> Account:
    """Check a password; throttled per client address, locked per account. Attempts are kept."""
    require_aware(now, "now")
    text = (email or "").strip().lower()[:254]
    client = (client or "")[:64]

    def refuse(rule: str, message: str) -> AccountError:
        s.add(LoginAttempt(email=text, client=client, at=now, success=False, rule=rule))
        return AccountError(rule, message)

    recent = s.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.client == client,
            LoginAttempt.success.is_(False),
            LoginAttempt.at > now - IP_WINDOW,
        )
    )
    if (recent or 0) >= IP_MAX_FAILURES:
        raise refuse("LoginThrottled", "login: 尝试次数过多，请15分钟后再试 (too many attempts)")
    account = s.scalar(select(Account).where(Account.email == text))
    if account is None or account.password_hash is None:
        try:
            _hasher.verify(_DUMMY_HASH, password or "")
        except VerificationError:
            pass
        raise refuse("LoginFailed", "login: 邮箱或密码错误 (wrong e-mail or password)")
    if account.locked_until is not None and now < account.locked_until:
        raise refuse(
            "AccountLocked",
            f"login: 账户已锁定至{format_instant(account.locked_until)} (locked after "
            f"{MAX_FAILURES} failed attempts)",
        )
    try:
        _hasher.verify(account.password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        account.failed_logins += 1
        if account.failed_logins >= MAX_FAILURES:
            account.locked_until = now + LOCK_FOR
            account.failed_logins = 0
            raise refuse(
                "AccountLocked",
                f"login: 连续{MAX_FAILURES}次失败，账户锁定至{format_instant(account.locked_until)}"
                " (account locked)",
            ) from None
        raise refuse("LoginFailed", "login: 邮箱或密码错误 (wrong e-mail or password)") from None
    if account.status != "active":
        raise refuse(
            "AccountNotActive",
            "login: 账户未激活或已停用 (confirm the e-mail link first, or the account is disabled)",
        )
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = now
    s.add(LoginAttempt(email=text, client=client, at=now, success=True, rule="LoginAccepted"))
    return account


# ---------------------------------------------------------------------------------------------
# Sessions


@dataclass(frozen=True)
class OpenedSession:
    token: str  # goes in the cookie, never stored
    csrf: str
    expires_at: datetime


def open_session(
    s: Session, account: Account, now: datetime, *, replaces: str | None, client: str = ""
) -> OpenedSession:
    """A fresh session id at every login (an id set before login is revoked, never reused)."""
    if replaces:
        old = s.scalar(select(WebSession).where(WebSession.token_hash == digest(replaces)))
        if old is not None and old.revoked_at is None:
            old.revoked_at = now
    token, csrf = new_token(), secrets.token_urlsafe(24)
    expires = now + SESSION_LIFETIME
    s.add(
        WebSession(
            token_hash=digest(token),
            account_id=account.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            expires_at=expires,
            client=client[:64],
        )
    )
    return OpenedSession(token, csrf, expires)


@dataclass(frozen=True, slots=True)
class LiveSession:
    """What a request needs of its live session: the columns of one join, no ORM objects."""

    session_id: int
    csrf_token: str
    last_seen_at: datetime
    expires_at: datetime
    account_id: int
    email: str
    role: str
    scope: str | None
    display_name: str


_LIVE_COLUMNS = (
    select(
        WebSession.id,
        WebSession.csrf_token,
        WebSession.last_seen_at,
        WebSession.expires_at,
        Account.id,
        Account.email,
        Account.role,
        Account.scope,
        Account.display_name,
        WebSession.revoked_at,
        Account.status,
    )
    .join(Account, Account.id == WebSession.account_id)
    .where(WebSession.token_hash == bindparam("token_hash"))
)


def is_live(
    revoked_at: datetime | None,
    expires_at: datetime,
    last_seen_at: datetime,
    account_status: str,
    now: datetime,
) -> bool:
    """The one rule of a live session: not revoked, within its lifetime, not idle past
    `SESSION_IDLE`, its account active."""
    if revoked_at is not None or now >= expires_at:
        return False
    if now - last_seen_at > SESSION_IDLE:
        return False
    return account_status == "active"


def live_session(
    conn: Connection | Session, token: str | None, now: datetime
) -> LiveSession | None:
    """The live session of a cookie value and its active account, else None (`is_live`). One
    statement: session and account in one join, as plain columns (this runs on every
    request; a Core connection in autocommit makes it one round trip)."""
    if not token or len(token) > 128:
        return None
    row = conn.execute(_LIVE_COLUMNS, {"token_hash": digest(token)}).first()
    if row is None or not is_live(row[9], row[3], row[2], row[10], now):
        return None
    return LiveSession(*row[:9])


def session_for(s: Session, token: str | None, now: datetime) -> tuple[WebSession, Account] | None:
    """The live session of a cookie value and its active account as ORM objects, else None
    (`is_live`)."""
    if not token or len(token) > 128:
        return None
    row = s.execute(
        select(WebSession, Account)
        .join(Account, Account.id == WebSession.account_id)
        .where(WebSession.token_hash == digest(token))
    ).first()
    if row is None:
        return None
    ws, account = row
    if not is_live(ws.revoked_at, ws.expires_at, ws.last_seen_at, account.status, now):
        return None
    return ws, account


def touch_session(s: Session, token: str, now: datetime) -> None:
    ws = s.scalar(select(WebSession).where(WebSession.token_hash == digest(token)))
    if ws is not None and now - ws.last_seen_at > timedelta(minutes=1):
        ws.last_seen_at = now


def close_session(s: Session, token: str | None, now: datetime) -> None:
    if not token:
        return
    ws = s.scalar(select(WebSession).where(WebSession.token_hash == digest(token)))
    if ws is not None and ws.revoked_at is None:
        ws.revoked_at = now


# ---------------------------------------------------------------------------------------------
# API tokens


def create_api_token(
    s: Session,
    account: Account,
    *,
    name: str,
    scopes: list[str],
    lifetime: timedelta,
    now: datetime,
) -> str:
    bad = [x for x in scopes if x not in TOKEN_SCOPES]
    if bad or not scopes:
        raise AccountError("TokenScope", f"scopes: must be among {', '.join(TOKEN_SCOPES)}")
    if account.role == "auditor" and "write" in scopes:
        raise AccountError("TokenScope", "scopes: 审计人员只读 (an auditor's token is read-only)")
    if not timedelta(minutes=5) <= lifetime <= timedelta(days=366):
        raise AccountError("TokenLifetime", "lifetime: between 5 minutes and 366 days")
    token = "sbt_" + new_token()
    s.add(
        ApiToken(
            token_hash=digest(token),
            account_id=account.id,
            name=(name or "")[:100],
            scopes=list(scopes),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


def token_for(s: Session, token: str | None, now: datetime) -> tuple[ApiToken, Account] | None:
    if not token or len(token) > 128:
        return None
    row = s.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
    if row is None or row.revoked_at is not None or now >= row.expires_at:
        return None
    account = s.get(Account, row.account_id)
    if account is None or account.status != "active":
        return None
    return row, account


# ---------------------------------------------------------------------------------------------
# Public rate limit


def public_rate_ok(
    s: Session, client: str, now: datetime, *, limit: int, window: timedelta
) -> bool:
    """Count one attempt from `client`; False when it is beyond `limit` inside `window`."""
    n = s.scalar(
        select(func.count(PublicSubmission.id)).where(
            PublicSubmission.client == client[:64], PublicSubmission.at > now - window
        )
    )
    s.add(PublicSubmission(client=client[:64], at=now, details={}))
    return (n or 0) < limit
