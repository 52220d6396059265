"""Which form set an edition uses: its own, else the latest shipped one of the same program.

An edition added as a file only (say liangrong-2029) takes the forms of the newest edition of its
program that has them, so a coordinator can open next cycle's campaign without writing forms.
"""

from __future__ import annotations

from functools import lru_cache

from programs.editions import Edition, all_editions
from programs.forms.schema import available_forms


def forms_edition_id(edition: Edition) -> str:
    return _resolve(edition.id, edition.program, edition.version)


@lru_cache(maxsize=64)
def _resolve(edition_id: str, program: str, _version: str) -> str:
    forms = available_forms()
    if edition_id in forms:
        return edition_id
    same_program = [e for e in all_editions().values() if e.program == program and e.id in forms]
    if not same_program:
        raise ValueError(
            f"edition: {edition_id} has no application forms, and no edition of the "
            f"{program} program has any (add programs/forms/data/{edition_id}/)"
        )
    return max(same_program, key=lambda e: (e.year, e.id)).id


@lru_cache(maxsize=1)
def forms_data_version() -> str:
    """A hash of every form schema file: a stored check is stale when the schemas change."""
    import hashlib

    from programs.forms.schema import DATA_DIR

    digest = hashlib.sha256()
    for path in sorted(DATA_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(DATA_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
