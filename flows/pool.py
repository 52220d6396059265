"""Deploy the flows of `flows.deployments` to a `process` work pool, code from a local checkout.

    python -m flows.pool --pool shenbao [--source /srv/shenbao]

Each deployment gets a pull step that sets the working directory to `--source` (the checkout the
workers run from: it must exist at the same path on every worker's machine), so `prefect worker
start --pool shenbao --type process` finds `flows/sweep.py` and the rest there. The schedules are
those of `flows.deployments` (Asia/Shanghai). PREFECT_API_URL names the server.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from uuid import UUID

ROOT = Path(__file__).resolve().parents[1]


def deploy_to_pool(pool: str, source: Path = ROOT) -> list[UUID]:
    """Create or update every deployment in `pool`; returns their ids."""
    from prefect.deployments.runner import deploy
    from prefect.runner.storage import LocalStorage

    from flows.deployments import deployments

    out = deployments()
    for d in out:
        d.storage = LocalStorage(str(source))
        d.entrypoint = _relative(d.entrypoint or "", source)
    return deploy(*out, work_pool_name=pool, build=False, push=False,
                  print_next_steps_message=False, ignore_warnings=True)  # fmt: skip


def _relative(entrypoint: str, source: Path) -> str:
    """`/abs/checkout/flows/sweep.py:deadline_sweep` -> `flows/sweep.py:deadline_sweep`."""
    path, _, name = entrypoint.rpartition(":")
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(source.resolve())
        except ValueError:
            pass
    return f"{p.as_posix()}:{name}"


def main() -> None:
    ap = argparse.ArgumentParser(description="deploy shenbao's flows to a process work pool")
    ap.add_argument("--pool", required=True)
    ap.add_argument("--source", type=Path, default=ROOT)
    args = ap.parse_args()
    ids = deploy_to_pool(args.pool, args.source)
    print(f"{len(ids)} deployments in work pool {args.pool!r} (code from {args.source})")


if __name__ == "__main__":
    main()
