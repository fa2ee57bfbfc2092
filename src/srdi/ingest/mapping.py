"""Load data/mappings/csmar_fields.yaml into typed specs, rejecting typos so a bad edit fails loudly."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import IngestError, Problem

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader when libyaml is there
DTYPES = ("code", "str", "date", "int", "float", "category")
ENCODINGS = ("auto", "utf-8", "gb18030")
TABLE_KEYS = (
    "firms",
    "ownership",
    "st_status",
    "balance",
    "income",
    "cashflow",
    "main_business",
    "governance",
    "customers",
    "suppliers",
    "patents",
    "designation",
    "innovation_env",
    "large_firms",
)
_TABLE_FIELDS = {
    "file", "header_rows", "encoding", "required", "unique", "columns", "statement", "soe_values",
}
_COLUMN_FIELDS = {"name", "dtype", "required", "nullable", "scale", "min", "max", "allowed", "recode"}


@dataclass(frozen=True)
class ColumnSpec:
    """One source field: its code in the file and what the pipeline makes of it."""

    code: str
    name: str
    dtype: str
    required: bool = True
    nullable: bool = True
    scale: float | None = None
    min: float | None = None
    max: float | None = None
    allowed: tuple[Any, ...] | None = None
    recode: dict[str, str] | None = None


@dataclass(frozen=True)
class TableSpec:
    """One raw table: where it is, how it is laid out, and its columns."""

    key: str
    file: str
    header_rows: int | str = "auto"
    encoding: str = "auto"
    required: bool = True
    statement: bool = False
    unique: tuple[str, ...] = ()
    soe_values: tuple[str, ...] = ()
    columns: tuple[ColumnSpec, ...] = field(default_factory=tuple)

    def by_name(self, name: str) -> ColumnSpec:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


def _bad(path: str, what: str) -> IngestError:
    return IngestError([Problem(file=path, table="mapping", what=what)])


def _column(path: str, key: str, code: str, raw: Any) -> ColumnSpec:
    if not isinstance(raw, dict):
        raise _bad(path, f"tables.{key}.columns.{code}: expected a mapping, got {raw!r}")
    unknown = set(raw) - _COLUMN_FIELDS
    if unknown:
        raise _bad(path, f"tables.{key}.columns.{code}: unknown field(s) {sorted(unknown)}")
    if "name" not in raw or "dtype" not in raw:
        raise _bad(path, f"tables.{key}.columns.{code}: needs both 'name' and 'dtype'")
    if raw["dtype"] not in DTYPES:
        raise _bad(path, f"tables.{key}.columns.{code}: dtype {raw['dtype']!r} is not one of {DTYPES}")
    allowed = raw.get("allowed")
    recode = raw.get("recode")
    return ColumnSpec(
        code=str(code),
        name=str(raw["name"]),
        dtype=raw["dtype"],
        required=bool(raw.get("required", True)),
        nullable=bool(raw.get("nullable", True)),
        scale=None if raw.get("scale") is None else float(raw["scale"]),
        min=None if raw.get("min") is None else float(raw["min"]),
        max=None if raw.get("max") is None else float(raw["max"]),
        allowed=None if allowed is None else tuple(allowed),
        recode=None if recode is None else {str(k): str(v) for k, v in recode.items()},
    )


def _table(path: str, key: str, raw: Any) -> TableSpec:
    if not isinstance(raw, dict):
        raise _bad(path, f"tables.{key}: expected a mapping")
    unknown = set(raw) - _TABLE_FIELDS
    if unknown:
        raise _bad(path, f"tables.{key}: unknown field(s) {sorted(unknown)}")
    if "file" not in raw or "columns" not in raw:
        raise _bad(path, f"tables.{key}: needs 'file' and 'columns'")
    header_rows = raw.get("header_rows", "auto")
    if header_rows not in (1, 3, "auto"):
        raise _bad(path, f"tables.{key}.header_rows: {header_rows!r} is not 1, 3 or auto")
    encoding = str(raw.get("encoding", "auto")).lower().replace("utf8", "utf-8")
    if encoding not in ENCODINGS:
        raise _bad(path, f"tables.{key}.encoding: {encoding!r} is not one of {ENCODINGS}")
    columns = tuple(_column(path, key, code, spec) for code, spec in raw["columns"].items())
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise _bad(path, f"tables.{key}: a pipeline name is used twice in {names}")
    unique = tuple(raw.get("unique", ()))
    missing = [u for u in unique if u not in names]
    if missing:
        raise _bad(path, f"tables.{key}.unique: {missing} are not pipeline names of this table")
    return TableSpec(
        key=key,
        file=str(raw["file"]),
        header_rows=header_rows,
        encoding=encoding,
        required=bool(raw.get("required", True)),
        statement=bool(raw.get("statement", False)),
        unique=unique,
        soe_values=tuple(raw.get("soe_values", ())),
        columns=columns,
    )


def load_mapping(path: str | os.PathLike[str]) -> dict[str, TableSpec]:
    """Parse and check the mapping file; every table key the pipeline needs must be present."""
    path = Path(path)
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise _bad(path.name, f"cannot read the mapping file: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("tables"), dict):
        raise _bad(path.name, "expected a top-level 'tables:' mapping")
    tables = doc["tables"]
    missing = [k for k in TABLE_KEYS if k not in tables]
    unknown = [k for k in tables if k not in TABLE_KEYS]
    if missing or unknown:
        raise _bad(path.name, f"table keys: missing {missing}, unknown {unknown}")
    return {key: _table(path.name, key, tables[key]) for key in TABLE_KEYS}
