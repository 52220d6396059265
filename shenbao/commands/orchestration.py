"""`shenbao serve` and `shenbao campaign launch`: the Prefect side of the system."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from shenbao import args
from shenbao.commands.lifecycle import campaign_app
from shenbao.errors import refusals


def serve() -> None:
    """Register every deployment with its schedule and run them (Ctrl-C stops).

    Uses the Prefect API at PREFECT_API_URL, or an ephemeral local server when unset.
    """
    from prefect import serve as prefect_serve

    from flows.deployments import deployments

    deps = deployments()
    print(f"serving {len(deps)} deployments: " + ", ".join(d.name for d in deps))
    prefect_serve(*deps)


@campaign_app.command("launch")
def launch(
    edition: str = typer.Argument(..., help="edition id"),
    year: int | None = typer.Option(
        None,
        "--year",
        help="program year (default: the edition's)",
        parser=args.cli(args.year, "--year"),
    ),
    inline: bool = typer.Option(
        False, "--inline", help="run the campaign flow here and now instead of via its deployment"
    ),
    now: str | None = typer.Option(None, "--now", help="simulated instant (with --inline)"),
) -> None:
    """Create the campaign deployment of EDITION and trigger a run for YEAR."""
    from programs.editions import load_edition

    with refusals():
        ed = load_edition(edition)
    year = year or ed.year
    params = {"edition": ed.id, "year": year}
    if inline:
        from flows.campaign import campaign

        result = campaign(ed.id, year, now)
        print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
        return
    from prefect.deployments import run_deployment

    from flows.campaign import campaign
    from flows.deployments import tags_of

    deployment = campaign.to_deployment(
        name=f"campaign-{ed.id}", parameters=params, tags=tags_of(ed, year)
    )
    deployment_id = deployment.apply()
    run = run_deployment(deployment_id, parameters=params, timeout=0, as_subflow=False)
    print(f"deployment campaign/campaign-{ed.id} ({deployment_id})")
    print(f"flow run {run.id} scheduled; `shenbao serve` (or a worker) executes it")


def register(root: typer.Typer) -> None:
    root.command("serve")(serve)
    root.command("demo")(demo)


def demo(
    edition: str = typer.Argument("liangrong-2021", help="liangrong-2021 or szzx-2026-2"),
    directory: Path = typer.Option(Path("shenbao-demo"), "--dir", help="where the demo writes"),
    applicants: int = typer.Option(200, "--applicants", min=20, max=5000),
) -> None:
    """Run a whole campaign with a simulated clock on the embedded defaults."""
    from shenbao.demo import main

    raise typer.Exit(main(edition, directory, applicants))
