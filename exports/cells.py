"""Cells that cannot carry code (OWASP, CSV injection): text beginning with = + - @, a tab or a
carriage return is what a spreadsheet evaluates as a formula or a command.

In .xlsx such text is written as a string cell (data type "s", never "f") with the quote-prefix
style, so Excel shows it exactly as stored and does not evaluate it even when the cell is edited;
in CSV, where no type exists, it is prefixed with an apostrophe.
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_START)


def csv_text(value: Any) -> str:
    """A value for a CSV field: text that a spreadsheet would evaluate gets a leading '."""
    text = "" if value is None else str(value)
    return "'" + text if looks_like_formula(text) else text


def safe_cell(cell: Cell, value: Any) -> Cell:
    """Set `cell` to `value`; text is always a string cell (never a formula), characters XML
    cannot hold shown as U+FFFD, formula-like text marked with the quote prefix."""
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        cell.value = text
        cell.data_type = "s"  # openpyxl makes "=..." a formula: a name is text
        if looks_like_formula(text):
            cell.quotePrefix = True
        return cell
    cell.value = value
    return cell


def put_text(ws: Worksheet, row: int, column: int, value: Any) -> Cell:
    """safe_cell on `ws` at (row, column)."""
    return safe_cell(ws.cell(row=row, column=column), value)
