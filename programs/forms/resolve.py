"""Which form set an edition uses: its own, else the latest shipped one of the same program.

An edition added as a file only (say liangrong-2029) takes the forms of the newest edition of its
program that has them, so a coordinator can open next cycle's campaign without writing forms.
"""

from __future__ import annotations

from programs.editions import Edition, all_editions
from programs.forms.schema import available_forms


def forms_edition_id(edition: Edition) -> str:
    forms = available_forms()
    if edition.id in forms:
        return edition.id
    same_program = [
        e for e in all_editions().values() if e.program == edition.program and e.id in forms
    ]
    if not same_program:
        raise ValueError(
            f"edition: {edition.id} has no application forms, and no edition of the "
            f"{edition.program} program has any (add programs/forms/data/{edition.id}/)"
        )
    return max(same_program, key=lambda e: (e.year, e.id)).id
