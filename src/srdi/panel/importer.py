"""Import a user's ready firm-year panel (data.source: panel) so any model runs on their own variables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from srdi.atomic import write_csv, write_parquet
from srdi.panel.codebook import codebook

READERS = {
    # Identifiers are read as text where the format allows, so stock codes keep their leading zeros.
    ".csv": lambda p, entity: pd.read_csv(p, encoding="utf-8-sig", dtype={entity: str}),
    ".parquet": lambda p, entity: pd.read_parquet(p),
    ".dta": lambda p, entity: pd.read_stata(p),
    ".xlsx": lambda p, entity: pd.read_excel(p, engine="openpyxl", dtype={entity: str}),
}


def read_panel_file(path: str | Path, entity: str) -> pd.DataFrame:
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ValueError(f"{path}: unsupported panel format {path.suffix!r}; use one of {sorted(READERS)}")
    if not path.exists():
        raise FileNotFoundError(f"{path}: panel file not found (data.panel_file in config.yaml)")
    try:
        return reader(path, entity)
    except Exception as err:  # any reader failure is reported with the file named
        raise ValueError(f"{path}: could not be read as {path.suffix}: {err}") from err


def check_panel_key(frame: pd.DataFrame, entity: str, time: str, source: str) -> pd.DataFrame:
    """The panel key must exist, be complete, have integer years and be unique."""
    missing = [c for c in (entity, time) if c not in frame.columns]
    if missing:
        raise ValueError(f"{source}: key column(s) {missing} not found; columns are {list(frame.columns)}")
    for col in (entity, time):
        bad = frame.index[frame[col].isna()]
        if len(bad):
            raise ValueError(f"{source}: column {col!r} is empty in rows {_rows(bad)}")
    years = pd.to_numeric(frame[time], errors="coerce")
    bad = frame.index[years.isna() | (years % 1 != 0)]
    if len(bad):
        raise ValueError(f"{source}: column {time!r} must hold integer years; rows {_rows(bad)}")
    frame = frame.assign(**{time: years.astype("int64")})
    dup = frame.index[frame.duplicated([entity, time], keep=False)]
    if len(dup):
        raise ValueError(f"{source}: key ({entity}, {time}) is not unique; duplicated rows {_rows(dup)}")
    return frame


def _rows(index: pd.Index, limit: int = 5) -> str:
    """Row numbers as a user sees them in a spreadsheet (header is line 1)."""
    shown = [str(int(i) + 2) for i in index[:limit]]
    more = f" and {len(index) - limit} more" if len(index) > limit else ""
    return ", ".join(shown) + more


def import_panel(path: str | Path, entity: str, time: str) -> pd.DataFrame:
    frame = read_panel_file(path, entity).reset_index(drop=True)
    frame = check_panel_key(frame, entity, time, str(path))
    return frame.sort_values([entity, time], kind="mergesort").reset_index(drop=True)


def write_imported_panel(
    path: str | Path, entity: str, time: str, out: str | Path, out_codebook: str | Path
) -> pd.DataFrame:
    frame = import_panel(path, entity, time)
    write_csv(out_codebook, codebook(frame.columns))
    write_parquet(out, frame)
    return frame
