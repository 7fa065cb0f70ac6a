"""The one table writer behind every tally and report: ``table``, ``csv``, ``json``, ``xlsx``.

A :class:`Table` has Chinese column titles (what the office reads) and English keys (what JSON and
scripts read), and a 總計 row summing its numeric columns. What each format makes of it:

* ``table``: aligned columns for a terminal (CJK characters are two columns wide), thousands
  separators, the 總計 row last;
* ``csv``: UTF-8 with a byte-order mark (so Excel on Windows reads the Chinese), one table per file,
  no comment lines, the header row then the rows then 總計; numbers without separators so a
  spreadsheet reads them as numbers;
* ``json``: ``{"title", "columns": {key: title}, "rows": [{key: value}], "total": {key: value}}``;
* ``xlsx``: one named sheet per table (the table's ``name``), Chinese headers in bold, numbers
  formatted ``#,##0``, the 總計 row in bold.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

FORMATS = ("table", "csv", "json", "xlsx")
TOTAL = "總計"
BOM = "\ufeff"
#: Characters Excel refuses in a sheet name; it also allows at most 31 characters.
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Column:
    key: str  # English key for JSON
    title: str  # the header the office reads
    numeric: bool = False
    total: bool = True  # a numeric column summed in the 總計 row


@dataclass
class Table:
    """One table: ``name`` names its sheet (and file), ``title`` is its caption."""

    name: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    title: str = ""
    total_row: bool = True

    def __post_init__(self) -> None:
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.name}: row {i + 1} has {len(row)} cells for {len(self.columns)} columns")

    def totals(self) -> list[Any] | None:
        """The 總計 row: the label in the first column not summed, sums under summed numeric columns."""
        if not self.total_row:
            return None
        out: list[Any] = []
        labelled = False
        for i, col in enumerate(self.columns):
            if col.numeric and col.total:
                out.append(sum(int(r[i] or 0) for r in self.rows))
            elif not labelled:
                out.append(TOTAL)
                labelled = True
            else:
                out.append("")
        return out

    def body(self) -> list[list[Any]]:
        """Rows, then the 總計 row when there is one."""
        total = self.totals()
        return [*self.rows, total] if total is not None else list(self.rows)


def display_width(text: str) -> int:
    """Terminal columns: wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cell(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def as_text(table: Table) -> str:
    """Aligned columns for a terminal; numbers right-aligned with thousands separators."""
    grid = [[c.title for c in table.columns]] + [[_cell(v) for v in row] for row in table.body()]
    widths = [max(display_width(row[i]) for row in grid) for i in range(len(table.columns))]
    lines = []
    for row in grid:
        cells = []
        for cell, width, col in zip(row, widths, table.columns, strict=True):
            pad = " " * (width - display_width(cell))
            cells.append(pad + cell if col.numeric else cell + pad)
        lines.append("  ".join(cells).rstrip())
    head = [table.title] if table.title else []
    return "\n".join(head + lines) + "\n"


def as_csv(table: Table) -> bytes:
    """UTF-8 with a BOM, one table, no comment lines; the 總計 row last."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180 line ends, what Excel writes
    writer.writerow([c.title for c in table.columns])
    writer.writerows(table.body())
    return (BOM + buf.getvalue()).encode("utf-8")


def as_json(table: Table) -> str:
    keys = [c.key for c in table.columns]
    total = table.totals()
    doc: dict[str, Any] = {
        "name": table.name,
        "title": table.title,
        "columns": {c.key: c.title for c in table.columns},
        "rows": [dict(zip(keys, row, strict=True)) for row in table.rows],
    }
    if total is not None:
        doc["total"] = {k: v for k, v, c in zip(keys, total, table.columns, strict=True) if c.numeric and c.total}
    return json.dumps(doc, ensure_ascii=False, indent=1)


def sheet_name(name: str, taken: Sequence[str] = ()) -> str:
    """A sheet name Excel accepts (31 characters, none of []:*?/\\), unique in the workbook."""
    base = _SHEET_BAD.sub("_", name).strip("'") or "表"
    candidate, n = base[:31], 2
    while candidate in taken:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    return candidate


def as_xlsx(tables: Sequence[Table]) -> bytes:
    """One workbook, one named sheet per table, Chinese headers, numbers as numbers, 總計 in bold."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    first = wb.active
    if first is not None:
        wb.remove(first)  # the default "Sheet"
    bold = Font(bold=True)
    for table in tables:
        ws = wb.create_sheet(sheet_name(table.name, wb.sheetnames))
        ws.append([c.title for c in table.columns])
        for cell in ws[1]:
            cell.font = bold
        for row in table.body():
            ws.append(list(row))
        if table.total_row:
            for cell in ws[ws.max_row]:
                cell.font = bold
        for i, col in enumerate(table.columns, start=1):
            letter = ws.cell(row=1, column=i).column_letter
            if col.numeric:
                for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = "#,##0"
            longest = max((display_width(_cell(c.value)) for (c,) in ws.iter_rows(min_col=i, max_col=i)),
                          default=8)
            ws.column_dimensions[letter].width = min(60, longest + 2)
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render(table: Table, fmt: str) -> bytes:
    """One table in ``fmt`` as the bytes of a file (text formats are UTF-8)."""
    if fmt == "table":
        return as_text(table).encode("utf-8")
    if fmt == "csv":
        return as_csv(table)
    if fmt == "json":
        return (as_json(table) + "\n").encode("utf-8")
    if fmt == "xlsx":
        return as_xlsx([table])
    raise ValueError(f"format {fmt!r}: choose from {', '.join(FORMATS)}")


def as_markdown(table: Table) -> str:
    """A Markdown table (thousands separators), as the council report prints it."""
    head = [c.title for c in table.columns]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in table.body()]
    return "\n".join(lines)
