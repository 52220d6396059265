"""A separate process that recommends one application when the start file appears."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path

from deadlines import SHANGHAI
from states.actors import Actor
from states.rules import Refusal
from store.db import Database
from store.service import Lifecycle
from store.transitions import Conflict


def main(url: str, app_id: int, province: str, start_file: str) -> None:
    lc = Lifecycle(Database(url))
    lc.get(app_id)  # warm up: imports, connection
    go = Path(start_file)
    while not go.exists():
        time.sleep(0.001)
    try:
        lc.trigger(
            app_id,
            "recommend",
            actor=Actor.parse(f"province:{province}"),
            now=datetime(2026, 6, 22, 10, tzinfo=SHANGHAI),
        )
        print("WON")
    except (Refusal, Conflict) as exc:
        print(f"LOST {exc}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
