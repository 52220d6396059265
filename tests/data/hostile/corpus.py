"""Hostile files, as an attacker would write them. Small ones are committed beside this module;
large ones (deep nesting, oversized files, zip bombs, 100,000-row workbooks) are built here into
a folder so that no huge file is committed: `python -m tests.data.hostile.corpus DIR`."""

from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path

from programs.forms import example_form, write_form_xlsx

HERE = Path(__file__).parent
EDITION, KIND = "szzx-2026-2", "center"
COMMITTED = (
    "alias_bomb.yaml",
    "duplicate_keys.json",
    "duplicate_keys.yaml",
    "python_tag.yaml",
    "max_points_1e30.yaml",
)


def template_bytes(edition: str = EDITION, kind: str = KIND) -> bytes:
    buffer = io.BytesIO()
    write_form_xlsx(edition, kind, buffer, example_form(edition, kind))
    return buffer.getvalue()


def replace_member(data: bytes, name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info.filename, src.read(info.filename), zipfile.ZIP_DEFLATED)
        dst.writestr(name, content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def sheet_xml(rows: int, columns: int, padding: int = 0) -> bytes:
    """A worksheet part with `rows` x `columns` numeric cells (no <dimension>), and `padding`
    bytes of whitespace that compress to almost nothing."""
    letters = [chr(ord("A") + i) for i in range(columns)]
    parts = [
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    ]
    for r in range(1, rows + 1):
        cells = "".join(f'<c r="{c}{r}"><v>1</v></c>' for c in letters)
        parts.append(f'<row r="{r}">{cells}</row>'.encode())
    parts.append(b" " * padding)
    parts.append(b"</sheetData></worksheet>")
    return b"".join(parts)


def build(folder: Path) -> dict[str, Path]:
    """Write every generated case into `folder`; returns name -> path (committed ones too)."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {name: HERE / name for name in COMMITTED}

    def put(name: str, data: bytes) -> None:
        (folder / name).write_bytes(data)
        files[name] = folder / name

    put("deep_brackets.json", b"[" * 100_000)
    put("deep_brackets.yaml", b"[" * 100_000)
    put("deep_block.yaml", b"- " * 100_000 + b"x\n")
    put("deep_inline.toml", b"year = " + b"[" * 100_000)
    put("huge_sheet.json", b'{"criteria": [' + b'{"id": "c", "max_points": 1},' * 20_000 + b"{}]}")
    criteria = [{"id": f"c{i}", "label_zh": f"项{i}", "max_points": 1} for i in range(150)]
    put("many_criteria.json", json.dumps({"aggregation": "mean", "criteria": criteria}).encode())
    put("top_k_huge.json", b'{"aggregation": "mean", "top_k": 1000000000000, "criteria": []}')
    put("scores_1e30.json", b'{"capability": 1e30, "results": 1}')
    put("big_int.json", b'{"capability": ' + b"9" * 5000 + b"}")
    put("utf16.json", '{"capability": 1}'.encode("utf-16"))
    put("not_a_mapping.json", b"[1, 2, 3]")
    put("calendar_deep.toml", b"year = 2027\ntitle = " + b"[" * 50_000)
    put("calendar_huge.toml", b"# " + b"x" * (300 * 1024) + b"\nyear = 2027\n")
    template = template_bytes()
    # 263 MB of sheet XML in about 1 MB: the uncompressed size stated by the zip is refused
    put(
        "zip_bomb.xlsx",
        replace_member(template, "xl/worksheets/sheet2.xml", sheet_xml(10, 5, 50_000_000)),
    )
    # 100,000 rows in a small file: refused by counting before openpyxl expands them
    put(
        "rows_100k.xlsx",
        replace_member(template, "xl/worksheets/sheet2.xml", sheet_xml(100_000, 1)),
    )
    # one cell at the far corner: a sheet of 1,048,576 x 16,384 for whatever iterates it
    corner = (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData><row r="1048576"><c r="XFD1048576"><v>1</v></c>'
        b"</row></sheetData></worksheet>"
    )
    put("far_corner.xlsx", replace_member(template, "xl/worksheets/sheet2.xml", corner))
    entity = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol2;</t>'
        b"</si></sst>"
    )
    put("entity_strings.xlsx", replace_member(template, "xl/sharedStrings.xml", entity))
    put(
        "external_link.xlsx",
        replace_member(
            template,
            "xl/externalLinks/externalLink1.xml",
            b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>',
        ),
    )
    put("not_a_zip.xlsx", b"PK\x03\x04" + b"\x00" * 64)
    (folder / "a_directory.yaml").mkdir(exist_ok=True)
    files["a_directory.yaml"] = folder / "a_directory.yaml"
    return files


if __name__ == "__main__":
    for name, path in sorted(build(Path(sys.argv[1])).items()):
        print(f"{path.stat().st_size:>10}  {name}")
