"""Serve the deadline sweep on a one-minute cron (Asia/Shanghai) against PREFECT_API_URL."""

from __future__ import annotations

from prefect import serve
from prefect.schedules import Cron

from flows.sweep import deadline_sweep

if __name__ == "__main__":
    serve(
        deadline_sweep.to_deployment(
            name="sweep-every-minute",
            schedules=[Cron("* * * * *", timezone="Asia/Shanghai")],
            parameters={"send": False},
        )
    )
