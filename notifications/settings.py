"""Mail settings from SHENBAO_MAIL (a URL) and SHENBAO_SMTP_PASSWORD; the password is never shown.

``file:./outbox`` (default) writes .eml files; ``smtp://user@host:587?starttls=1`` or
``smtps://host:465`` sends through a server.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from notifications.message import parse_address

DEFAULT_MAIL_URL = "file:./outbox"
DEFAULT_SENDER = "申报系统 <noreply@shenbao.local>"  # the one default From (README)
ENV_URL = "SHENBAO_MAIL"
ENV_PASSWORD = "SHENBAO_SMTP_PASSWORD"
ENV_SENDER = "SHENBAO_MAIL_FROM"

_QUERY_KEYS = {"starttls", "from", "pool", "concurrency", "timeout", "cafile"}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class MailSettings:
    scheme: Literal["file", "smtp", "smtps"]
    directory: Path | None = None
    host: str | None = None
    port: int | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    sender: str = DEFAULT_SENDER
    pool_size: int = 4
    max_concurrency: int = 4
    timeout: float = 30.0
    cafile: Path | None = None

    def redacted_url(self) -> str:
        """The URL without any secret, for logs and status output."""
        if self.scheme == "file":
            return f"file:{self.directory}"
        user = f"{self.username}@" if self.username else ""
        query = "?starttls=1" if self.starttls else ""
        return f"{self.scheme}://{user}{self.host}:{self.port}{query}"

    def __str__(self) -> str:
        return self.redacted_url()


def _fail(rule: str) -> ValueError:
    return ValueError(f"{ENV_URL}: {rule}")


def _int(name: str, text: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise _fail(f"{name}={text!r} 应为整数 / must be an integer") from None
    if not low <= value <= high:
        raise _fail(f"{name}={value} 应在 {low}..{high} / must be within {low}..{high}")
    return value


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_mail_url(url: str, env: Mapping[str, str]) -> MailSettings:
    """Parse SHENBAO_MAIL; ValueError names SHENBAO_MAIL (or the variable at fault) and the rule.

    Query options: ``starttls=1``, ``from=名称 <addr>`` (or $SHENBAO_MAIL_FROM), ``pool=N`` (open
    connections kept), ``concurrency=N`` (messages in flight), ``timeout=SECONDS``,
    ``cafile=PATH`` (CA bundle for a private server certificate).
    """
    url = (url or "").strip() or DEFAULT_MAIL_URL
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("file", "smtp", "smtps"):
        raise _fail(
            f"{url!r}: 协议须为 file:、smtp:// 或 smtps:// / scheme must be file, smtp or smtps"
        )
    query: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key not in _QUERY_KEYS:
            raise _fail(f"未知参数 {key!r} / unknown option {key!r}; known: {sorted(_QUERY_KEYS)}")
        query[key] = value

    sender = query.get("from") or env.get(ENV_SENDER) or DEFAULT_SENDER
    try:
        parse_address("From", sender)
    except ValueError as exc:
        raise _fail(f"发件人无效 / invalid sender: {exc}") from None

    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise _fail(f"{url!r}: file: 不接受主机名 / file: takes a path, not a host")
        path = unquote(parts.path)
        if not path:
            raise _fail(f"{url!r}: file: 须给出目录 / file: needs a directory, e.g. file:./outbox")
        extra = set(query) - {"from"}
        if extra:
            raise _fail(f"file: 不支持参数 {sorted(extra)} / options not valid for file:")
        return MailSettings(scheme="file", directory=Path(path), sender=sender)

    if not parts.hostname:
        raise _fail(f"{url!r}: 缺少主机名 / host is missing, e.g. smtp://user@mail.example.cn:587")
    if parts.password is not None:
        raise _fail(
            f"密码不得写在地址中，请用 {ENV_PASSWORD} / "
            f"the password must not be in the URL; set {ENV_PASSWORD}"
        )
    try:
        port = parts.port
    except ValueError:
        raise _fail(f"{url!r}: 端口无效 / port must be 1..65535") from None
    if port is None:
        port = 465 if scheme == "smtps" else 25
    starttls_text = query.get("starttls", "0").lower()
    if starttls_text not in _TRUE | _FALSE:
        raise _fail(f"starttls={starttls_text!r} 应为 1 或 0 / must be 1 or 0")
    starttls = starttls_text in _TRUE
    if scheme == "smtps" and starttls:
        raise _fail("smtps:// 已是 TLS，不能再用 starttls / smtps is implicit TLS; drop starttls")
    username = unquote(parts.username) if parts.username else None
    password = env.get(ENV_PASSWORD) or None
    if username and password is None:
        raise ValueError(
            f"{ENV_PASSWORD}: 地址含用户名 {username!r}，须设置密码 / "
            f"{ENV_URL} names user {username!r}; set {ENV_PASSWORD}"
        )
    host = parts.hostname
    if username and not (starttls or scheme == "smtps") and not _is_loopback(host):
        raise _fail(
            "认证须在 TLS 之上进行：请用 starttls=1 或 smtps:// / "
            "authentication needs TLS: add starttls=1 or use smtps://"
        )
    pool = _int("pool", query.get("pool", "4"), 1, 64)
    concurrency = _int("concurrency", query.get("concurrency", str(pool)), 1, 256)
    try:
        timeout = float(query.get("timeout", "30"))
    except ValueError:
        raise _fail("timeout 应为秒数 / timeout must be a number of seconds") from None
    if not 0 < timeout <= 600:
        raise _fail("timeout 应在 (0, 600] 秒 / timeout must be within (0, 600] seconds")
    cafile = Path(query["cafile"]) if query.get("cafile") else None
    return MailSettings(
        scheme=scheme,  # type: ignore[arg-type]
        host=host,
        port=port,
        username=username,
        password=password if username else None,
        starttls=starttls,
        sender=sender,
        pool_size=pool,
        max_concurrency=concurrency,
        timeout=timeout,
        cafile=cafile,
    )


def settings_from_env(env: Mapping[str, str]) -> MailSettings:
    """MailSettings from $SHENBAO_MAIL (default file:./outbox) and the other variables."""
    return parse_mail_url(env.get(ENV_URL, ""), env)
