"""Tables as text that keeps their meaning: every row says which column each value is in.

"| Level | Years |" over "| L1 | 1.5-2 |" becomes the line "- Level: L1; Years: 1.5-2",
so a retrieved row still answers "how many years is L1?". The header is the <thead>
row, a first row of <th> cells, or, in a table with no <th> at all, a first row of
short labels (Markdown pipe tables and hand-written HTML tables both do this). A table
without a header keeps its cells joined by " | ". A row of more than `WIDE_ROW_WORDS`
words (a competency matrix with a list in each cell) is split into one line per cell,
each led by the row's first cell, so no line mixes two columns' criteria.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from bs4 import Tag

HEADER_LABEL_WORDS = 6  # a longer first-row cell is content, not a column label
WIDE_ROW_WORDS = 60  # about three sentences: past that a row stops reading as one line


def table_lines(table: Tag, cell_text: Callable[[Tag], str]) -> Iterator[str]:
    """The rows of `table` as "- Header: value; Header: value" lines."""
    rows = [
        [cell_text(cell) for cell in row.find_all(["th", "td"], recursive=False)]
        for row in _rows(table)
    ]
    rows = [row for row in rows if any(row)]
    header = _header(table, rows)
    body = rows[1:] if header else rows
    for row in body:
        if not header:
            yield "- " + " | ".join(cell for cell in row if cell)
            continue
        pairs = [(_label(header, i), cell) for i, cell in enumerate(row) if cell]
        if sum(len(cell.split()) for _, cell in pairs) > WIDE_ROW_WORDS and len(pairs) > 2:
            lead = _pair(*pairs[0])
            yield from (f"- {lead}; {_pair(*pair)}" for pair in pairs[1:])
        else:
            yield "- " + _join(_pair(*pair) for pair in pairs)


def _rows(table: Tag) -> list[Tag]:
    """The table's own rows (not those of a table nested in a cell), in order."""
    return [row for row in table.find_all("tr") if row.find_parent("table") is table]


def _header(table: Tag, rows: list[list[str]]) -> list[str] | None:
    if len(rows) < 2:
        return None
    first = _rows(table)[0]
    cells = first.find_all(["th", "td"], recursive=False)
    if first.find_parent("thead") is not None or all(c.name == "th" for c in cells):
        return rows[0]
    if table.find("th") is None and all(
        len(cell.split()) <= HEADER_LABEL_WORDS and not re.search(r"[.!?]$", cell)
        for cell in rows[0]
    ):
        return rows[0]
    return None


def _join(parts: Iterator[str]) -> str:
    """Parts joined by "; ", or by a space after one that ends a sentence."""
    joined = ""
    for part in parts:
        joined += ("" if not joined else " " if joined[-1] in ".!?" else "; ") + part
    return joined


def _label(header: list[str], index: int) -> str:
    return header[index] if index < len(header) else ""


def _pair(label: str, cell: str) -> str:
    return f"{label}: {cell}" if label else cell
