"""IngestError and the problem records it carries: every failure names the file, column and rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one raw file, with enough detail for the user to open the file at the line.

    `rows` are row numbers as in the file (1-based, header rows counted; for parquet the 1-based data
    row); `values` are the offending values, aligned with `rows`.
    """

    file: str
    table: str
    what: str
    column: str | None = None
    name: str | None = None
    rows: tuple[int, ...] = ()
    values: tuple[object, ...] = ()
    n_rows: int = field(default=-1)

    def render(self) -> str:
        where = f"{self.file} [{self.table}]"
        if self.column is not None:
            col = f"column '{self.column}'"
            if self.name and self.name != self.column:
                col += f" ({self.name})"
            where += f", {col}"
        text = f"{where}: {self.what}"
        if self.rows:
            total = self.n_rows if self.n_rows >= 0 else len(self.rows)
            shown = [f"row {r}: {_show(v)}" for r, v in zip(self.rows, self.values, strict=False)]
            more = f" (and {total - len(shown)} more)" if total > len(shown) else ""
            plural = "row" if total == 1 else "rows"
            text += f" in {total} {plural}; " + "; ".join(shown[:MAX_EXAMPLES]) + more
        return text


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    if value is None:
        return "<missing>"
    try:
        if value != value:  # NaN
            return "<missing>"
    except (TypeError, ValueError):
        pass
    return repr(str(value))


class IngestError(ValueError):
    """Raw tables failed to read or validate; the message lists every problem found, file by file."""

    def __init__(self, problems: Sequence[Problem] | str, stage: str = "Raw-table ingestion",
                 note: str | None = None):
        """`note` ends the first line, e.g. what the row numbers count when the format has no lines."""
        if isinstance(problems, str):
            problems = [Problem(file="?", table="?", what=problems)]
        self.problems: list[Problem] = list(problems)
        files = sorted({p.file for p in self.problems})
        head = (
            f"{stage} failed: {len(self.problems)} problem(s) in {len(files)} file(s) "
            f"({', '.join(files)}). Nothing was written."
        )
        if note:
            head += f" {note}"
        super().__init__("\n".join([head, *("  - " + p.render() for p in self.problems)]))


def make_problem(
    file: str,
    table: str,
    what: str,
    column: str | None = None,
    name: str | None = None,
    rows: Sequence[int] = (),
    values: Sequence[object] = (),
) -> Problem:
    """Build a Problem keeping at most MAX_EXAMPLES example rows but remembering the total count."""
    return Problem(
        file=file,
        table=table,
        what=what,
        column=column,
        name=name,
        rows=tuple(int(r) for r in rows[:MAX_EXAMPLES]),
        values=tuple(values[:MAX_EXAMPLES]),
        n_rows=len(rows),
    )
