"""Settings of the application layer: the one place that reads the database URL from SHENBAO_*."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///./shenbao.db"


@dataclass(frozen=True)
class ServiceSettings:
    database_url: str

    @classmethod
    def from_env(cls) -> ServiceSettings:
        return cls(database_url=os.environ.get("SHENBAO_DATABASE_URL") or DEFAULT_DATABASE_URL)
