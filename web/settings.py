"""Settings of the web service, from SHENBAO_WEB_* variables (embedded defaults: local, no TLS)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from deadlines import parse_instant
from deadlines.timeutil import SHANGHAI


@lru_cache(maxsize=16)
def _simulated_instant(text: str) -> datetime:
    """The clock file's instant; parsed once per distinct text (the file is read every time)."""
    return plain(parse_instant(text, "SHENBAO_WEB_CLOCK_FILE"))


def plain(instant: datetime) -> datetime:
    """The same instant as a standard-library datetime in Asia/Shanghai. A request's clock
    meets the database's instants in every comparison and difference: pendulum's arithmetic
    builds an Interval (~14 µs a subtraction), the standard library's a timedelta (~0.05 µs)."""
    local = datetime(
        instant.year,
        instant.month,
        instant.day,
        instant.hour,
        instant.minute,
        instant.second,
        instant.microsecond,
        tzinfo=instant.tzinfo,
        fold=instant.fold,
    )
    return local.astimezone(SHANGHAI)


def _flag(name: str) -> bool:
    return (os.environ.get(name) or "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class OidcSettings:
    """Sign-in through an external OpenID Connect provider: off unless all three are set."""

    metadata_url: str
    client_id: str
    client_secret: str
    label: str = "统一身份认证"


@dataclass(frozen=True)
class WebSettings:
    database_url: str
    base_url: str = "http://127.0.0.1:8000"
    # A simulated clock for tests and rehearsals: a file holding one ISO 8601 instant, read on
    # every request. Refused unless SHENBAO_WEB_ALLOW_SIMULATED_CLOCK=1 is also set.
    clock_file: Path | None = None
    oidc: OidcSettings | None = None
    public_rate_limit: int = 5
    public_rate_window: timedelta = field(default=timedelta(minutes=10))

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def simulated(self) -> bool:
        return self.clock_file is not None

    def now(self) -> datetime:
        if self.clock_file is None:
            return datetime.now(SHANGHAI)
        fd = os.open(self.clock_file, os.O_RDONLY)  # cheaper than a text file object
        try:
            raw = os.read(fd, 4096)
        finally:
            os.close(fd)
        return _simulated_instant(raw.decode("utf-8").strip())

    @classmethod
    def from_env(cls) -> WebSettings:
        from shenbao.settings import Settings

        clock = os.environ.get("SHENBAO_WEB_CLOCK_FILE") or None
        if clock and not _flag("SHENBAO_WEB_ALLOW_SIMULATED_CLOCK"):
            raise ValueError(
                "SHENBAO_WEB_CLOCK_FILE: a simulated clock is refused unless "
                "SHENBAO_WEB_ALLOW_SIMULATED_CLOCK=1 is set (tests and rehearsals only)"
            )
        oidc = None
        url = os.environ.get("SHENBAO_WEB_OIDC_METADATA_URL")
        cid = os.environ.get("SHENBAO_WEB_OIDC_CLIENT_ID")
        secret = os.environ.get("SHENBAO_WEB_OIDC_CLIENT_SECRET")
        if url and cid and secret:
            oidc = OidcSettings(
                url, cid, secret, os.environ.get("SHENBAO_WEB_OIDC_LABEL") or "统一身份认证"
            )
        return cls(
            database_url=Settings.from_env().database_url,
            base_url=(os.environ.get("SHENBAO_WEB_BASE_URL") or "http://127.0.0.1:8000").rstrip(
                "/"
            ),
            clock_file=Path(clock) if clock else None,
            oidc=oidc,
            public_rate_limit=int(os.environ.get("SHENBAO_WEB_PUBLIC_RATE_LIMIT") or 5),
        )
