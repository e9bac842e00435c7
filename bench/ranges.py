"""Several runs' Markdown tables made one: each figure becomes the range of the runs' figures.

Tables of the same scenarios have the same shape in every run, so they are merged cell by cell: a number
(with a unit such as "%") becomes the lowest and the highest joined by an en dash, a target's "yes" or
"**no**" says in how many runs it was met, and any other cell that differs lists each run's value.
"""

from __future__ import annotations

import re

_NUMBER = re.compile(r"(?P<value>-?[\d,]*\d(?:\.\d+)?)(?P<unit>\s?%)?")
_MET, _NOT_MET = "yes", "**no**"
_DASH = "\N{EN DASH}"


def merge_tables(runs: list[list[str]]) -> list[str]:
    """One table from the same table of several runs (lists of Markdown lines)."""
    if len(runs) == 1:
        return runs[0]
    if len({len(table) for table in runs}) != 1:
        raise ValueError("the runs' tables differ in shape: were the same scenarios run?")
    return [_merge_line([table[i] for table in runs]) for i in range(len(runs[0]))]


def _merge_line(lines: list[str]) -> str:
    if len(set(lines)) == 1:
        return lines[0]
    rows = [_cells(line) for line in lines]
    if len({len(row) for row in rows}) != 1:
        raise ValueError(f"the runs' rows differ in shape: {lines}")
    return "| " + " | ".join(merge_cells([row[i] for row in rows]) for i in range(len(rows[0]))) + " |"


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def merge_cells(cells: list[str]) -> str:
    """The runs' values of one cell as one."""
    if len(set(cells)) == 1:
        return cells[0]
    if set(cells) <= {_MET, _NOT_MET}:
        return f"{cells.count(_MET)} of {len(cells)} runs"
    numbers = [_NUMBER.fullmatch(cell) for cell in cells]
    units = {m["unit"] for m in numbers if m is not None}
    if all(numbers) and len(units) == 1:
        ordered = sorted(cells, key=_value)
        unit = units.pop() or ""
        return f"{ordered[0].removesuffix(unit)}{_DASH}{ordered[-1]}"
    return "; ".join(cells)


def _value(cell: str) -> float:
    match = _NUMBER.fullmatch(cell)
    assert match is not None
    return float(match["value"].replace(",", ""))
