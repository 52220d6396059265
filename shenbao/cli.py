"""The `shenbao` command line: one Typer app, each command group in shenbao.commands.

A process imports only the group it runs (`shenbao calendar ...` never loads the database
layer); `shenbao.cli.app` is the whole app, built on first use (help, tests).
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    app: typer.Typer

# group or command name -> (module in shenbao.commands, how it is mounted)
SUB_APPS = {"calendar": "calendar", "db": "db", "audit": "audit", "states": "states",
            "accounts": "accounts"}  # fmt: skip
REGISTERED = {
    "lifecycle": ("campaign", "apply", "submit", "withdraw", "review", "list"),
    "review": ("scoring", "notice", "reports", "recert"),
    "forms": ("form", "check"),
    "notify": ("notify", "contacts"),
    "orchestration": ("serve", "campaign"),
    "campaigns": ("campaign",),
    "web": ("web", "web-routes"),
}
HELP = "shenbao 申报: runs government program application campaigns end to end."


def build(only: str | None = None) -> typer.Typer:
    """The app with every group, or only the one that serves command `only`."""
    root = typer.Typer(help=HELP, no_args_is_help=True, pretty_exceptions_enable=False)
    for name, module in SUB_APPS.items():
        if only is None or only == name:
            root.add_typer(import_module(f"shenbao.commands.{module}").app, name=name)
    for module, names in REGISTERED.items():
        if only is None or only in names:
            import_module(f"shenbao.commands.{module}").register(root)
    return root


def _command(argv: list[str]) -> str | None:
    """The command named on the command line, when it is one we know."""
    known = set(SUB_APPS) | {n for names in REGISTERED.values() for n in names}
    first = next((a for a in argv if not a.startswith("-")), None)
    return first if first in known else None


_APP: typer.Typer | None = None


def __getattr__(name: str) -> Any:
    global _APP
    if name == "app":
        if _APP is None:
            _APP = build()
        return _APP
    raise AttributeError(name)


def main() -> None:
    build(_command(sys.argv[1:]))()


if __name__ == "__main__":
    main()
