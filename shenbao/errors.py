"""The CLI error contract: a refused or malformed command exits 2 with one line naming the rule."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn, TypeVar

import typer

T = TypeVar("T")
EXIT_REFUSED = 2


class UsageError(ValueError):
    """Bad input from the command line: names the field and the rule."""


def fail(message: str, code: int = EXIT_REFUSED) -> NoReturn:
    line = " ".join(str(message).splitlines()).strip()  # one line, whatever was quoted
    print(line, file=sys.stderr)
    raise typer.Exit(code)


@contextmanager
def refusals() -> Iterator[None]:
    """Turn the project's refusals and validation errors into the one-line exit-2 contract."""
    try:
        yield
    except typer.Exit:
        raise
    except (ValueError, LookupError, PermissionError) as exc:
        fail(str(exc))
    except Exception as exc:
        from states.rules import Refusal
        from store.transitions import Conflict

        if isinstance(exc, Refusal | Conflict):
            fail(str(exc))
        raise


def parse_arg(parser: Callable[[str], T], text: str) -> T:
    with refusals():
        return parser(text)
