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

from sqlalchemy import create_engine, inspect, select

from store.models import Base

# append-only trails: refusals may add records, nothing may change one
AUDIT = ("audit_log", "operator_audit_log")
# what adding a record updates beside it: chain heads and counts, the anchor log
BOOKKEEPING_TABLES = ("audit_chain", "audit_anchor")
BOOKKEEPING_COLUMNS = {"application": {"audit_count", "audit_head", "version"}}


def _bookkeeping_only(table: str, before: list[str], after: list[str]) -> bool:
    if table in BOOKKEEPING_TABLES:
        return True
    ignored = BOOKKEEPING_COLUMNS.get(table)
    if ignored is None or len(before) != len(after):
        return False

    def strip(rows: list[str]) -> list[dict[str, Any]]:
        return [{k: v for k, v in json.loads(r).items() if k not in ignored} for r in rows]

    return strip(before) == strip(after)


def snapshot(url: str) -> dict[str, list[str]]:
    engine = create_engine(url)
    present = set(inspect(engine).get_table_names())
    tables: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name not in present:
                continue
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
        added: list[dict[str, Any]] = []
        audit_kept = True
        for table in AUDIT:
            old_rows, new_rows = before.get(table, []), after.get(table, [])
            audit_kept = audit_kept and new_rows[: len(old_rows)] == old_rows
            added.extend(json.loads(row) for row in new_rows[len(old_rows) :])
        changed = sorted(
            t
            for t in before
            if t not in AUDIT
            and before[t] != after[t]
            and not (added and _bookkeeping_only(t, before[t], after[t]))
        )
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
                "audit_added_max_len": max(
                    (len(json.dumps(a, ensure_ascii=False)) for a in added), default=0
                ),
            }
        )
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1])
