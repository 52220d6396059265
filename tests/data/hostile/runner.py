"""Run hostile CLI cases in this process, each measured: `python -m tests.data.hostile.runner SPEC`.

SPEC is a JSON file {"db_url", "cwd", "cases": [{"name", "args"}]}; the report, one JSON object
per case on stdout's last line, gives the exit code, stdout, stderr, the CPU seconds the case
took (resource.getrusage of this process), the peak RSS after it and the baseline before any
case, and how the database differs afterwards: rows of every table but audit_log compared
whole, and the audit records added (their accepted flags).
"""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select

from store.models import Base

AUDIT = "audit_log"


def snapshot(url: str) -> dict[str, list[str]]:
    engine = create_engine(url)
    tables: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(select(table).order_by(*order)).all()
            tables[table.name] = [
                json.dumps(dict(r._mapping), default=str, ensure_ascii=False) for r in rows
            ]
    engine.dispose()
    return tables


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    os.environ["SHENBAO_DATABASE_URL"] = spec["db_url"]
    os.chdir(spec["cwd"])
    from typer.testing import CliRunner

    from shenbao.cli import app

    runner = CliRunner()
    runner.invoke(app, ["states", "--help"])  # imports and the database wiring, before measuring
    baseline = peak_kb()
    report: list[dict[str, Any]] = []
    for case in spec["cases"]:
        before = snapshot(spec["db_url"])
        start = cpu()
        result = runner.invoke(app, case["args"])
        took = cpu() - start
        peak = peak_kb()
        after = snapshot(spec["db_url"])
        changed = sorted(t for t in before if t != AUDIT and before[t] != after[t])
        old_audit = before[AUDIT]
        new_audit = after[AUDIT]
        audit_kept = new_audit[: len(old_audit)] == old_audit
        added = [json.loads(row) for row in new_audit[len(old_audit) :]]
        report.append(
            {
                "name": case["name"],
                "exit_code": result.exit_code,
                "stdout": result.stdout,
                "stderr": result.stderr,
                "exception": repr(result.exception) if result.exception else None,
                "cpu": took,
                "peak_kb": peak,
                "baseline_kb": baseline,
                "changed_tables": changed,
                "audit_kept": audit_kept,
                "audit_added": len(added),
                "audit_added_accepted": [bool(a["accepted"]) for a in added],
                "audit_added_max_len": max((len(json.dumps(a)) for a in added), default=0),
            }
        )
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1])
