"""A format-neutral table: header rows with spans, body panels, notes. Every writer renders this one object,
so the LaTeX, Word, Markdown, CSV and HTML versions of a table cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cell:
    text: str
    span: int = 1


@dataclass
class Panel:
    """A block of body rows, separated from the next by a rule; `title` is an optional spanning heading."""

    rows: list[list[str]]
    title: str | None = None


@dataclass
class Table:
    name: str
    title: str
    header: list[list[Cell]]  # each row's spans add up to n_columns (stub included)
    panels: list[Panel]
    notes: list[str] = field(default_factory=list)

    @property
    def n_columns(self) -> int:
        if self.header:
            return sum(c.span for c in self.header[0])
        return max(len(r) for p in self.panels for r in p.rows)

    def check(self) -> Table:
        """Every row spans the full width: a writer can then trust the shape."""
        n = self.n_columns
        for row in self.header:
            if sum(c.span for c in row) != n:
                raise ValueError(f"table {self.name}: header row {[c.text for c in row]} does not span {n} columns")
        for panel in self.panels:
            for row in panel.rows:
                if len(row) != n:
                    raise ValueError(f"table {self.name}: row {row} has {len(row)} cells, expected {n}")
        return self


def plain_header(texts: list[str]) -> list[Cell]:
    return [Cell(t) for t in texts]
