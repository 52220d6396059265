"""Settings from the environment: the one place that reads SHENBAO_* variables."""

from __future__ import annotations

import os
from dataclasses import dataclass

from notifications.settings import DEFAULT_SENDER, ENV_SENDER

DEFAULT_DATABASE_URL = "sqlite:///./shenbao.db"
DEFAULT_MAIL_URL = "file:./outbox"


@dataclass(frozen=True)
class Settings:
    database_url: str
    mail_url: str
    mail_sender: str

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("SHENBAO_DATABASE_URL") or DEFAULT_DATABASE_URL,
            mail_url=os.environ.get("SHENBAO_MAIL") or DEFAULT_MAIL_URL,
            mail_sender=os.environ.get(ENV_SENDER) or DEFAULT_SENDER,
        )
