"""Files the system writes for people to open: cells that cannot carry code, outputs written
whole or not at all (a temporary name, then a rename), never over an existing file unless asked."""

from exports.cells import FORMULA_START, csv_text, put_text, safe_cell
from exports.files import OutputError, check_output, write_output

__all__ = [
    "FORMULA_START",
    "OutputError",
    "check_output",
    "csv_text",
    "put_text",
    "safe_cell",
    "write_output",
]
