"""Plain-text tables for the terminal (columns padded, cells made terminal-safe)."""

from __future__ import annotations

import unicodedata
from typing import Sequence

from .textsafe import terminal_safe


def display_width(text: str) -> int:
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]],
                 max_cell: int = 60) -> str:
    cells = [[terminal_safe(str(cell), max_cell) for cell in row] for row in rows]
    widths = [display_width(h) for h in headers]
    for row in cells:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], display_width(cell))

    def line(values: Sequence[str]) -> str:
        padded = [v + " " * (widths[i] - display_width(v)) for i, v in enumerate(values)]
        return "  ".join(padded).rstrip()

    out = [line(list(headers)), line(["-" * w for w in widths])]
    out.extend(line(row) for row in cells)
    return "\n".join(out)
