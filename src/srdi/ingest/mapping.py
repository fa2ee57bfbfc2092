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
    "rd_spending",
    "firm_info",
    "subsidiaries",
)
DUPLICATE_RULES = ("error", "first", "last")
ST_RULES = ("year_end", "any")
_TABLE_FIELDS = {
    "file", "header_rows", "encoding", "required", "unique", "columns", "statement", "soe_values",
    "on_duplicate", "st_rule", "nature_codes", "where",
}
_COLUMN_FIELDS = {"name", "dtype", "required", "nullable", "scale", "min", "max", "allowed", "recode", "aliases",
                  "offset"}
GLOB_CHARS = frozenset("*?[")


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
    aliases: tuple[str, ...] = ()  # other headers of this field (a Chinese label, another code)
    offset: int = 0  # added to an int column after reading (a report year -> the data year it describes)


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
    on_duplicate: str = "error"  # a repeated key: error, or keep the first / last row (file order, then row)
    st_rule: str = "year_end"  # st_status only: which events make a firm-year ST
    nature_codes: dict[str, str] = field(default_factory=dict)  # ownership only: part of a value -> nature
    where: tuple[str, str] | None = None  # (pipeline name, value): keep only these rows of a combined file

    @property
    def is_glob(self) -> bool:
        """`file` is a pattern (FS_Comins*.csv): every matching file is read and stacked."""
        return bool(GLOB_CHARS & set(self.file))

    def header_map(self) -> dict[str, str]:
        """Case-folded header or alias -> field code, the rule read_table renames a file's headers by."""
        out: dict[str, str] = {}
        for col in self.columns:
            for label in (col.code, *col.aliases):
                out.setdefault(label.strip().casefold(), col.code)
        return out

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
    offset = raw.get("offset", 0)
    if not isinstance(offset, int) or isinstance(offset, bool) or (offset and raw["dtype"] != "int"):
        raise _bad(path, f"tables.{key}.columns.{code}.offset: {offset!r} must be an integer on an int column")
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list):
        raise _bad(path, f"tables.{key}.columns.{code}.aliases: expected a list of header names")
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
        aliases=tuple(str(a) for a in aliases),
        offset=offset,
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
    on_duplicate = raw.get("on_duplicate", "error")
    if on_duplicate not in DUPLICATE_RULES:
        raise _bad(path, f"tables.{key}.on_duplicate: {on_duplicate!r} is not one of {DUPLICATE_RULES}")
    st_rule = raw.get("st_rule", "year_end")
    if st_rule not in ST_RULES:
        raise _bad(path, f"tables.{key}.st_rule: {st_rule!r} is not one of {ST_RULES}")
    where = _where(path, key, raw.get("where"), columns)
    headers: dict[str, str] = {}
    for col in columns:
        for label in (col.code, *col.aliases):
            other = headers.setdefault(label.strip().casefold(), col.code)
            if other != col.code:
                raise _bad(path, f"tables.{key}: header {label!r} would name both {other} and {col.code}")
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
        on_duplicate=on_duplicate,
        st_rule=st_rule,
        nature_codes={str(k): str(v) for k, v in (raw.get("nature_codes") or {}).items()},
        where=where,
    )


def type_values(col: ColumnSpec) -> set[str]:
    """The values a category column can hold after recoding (its `allowed` values, recoded)."""
    recode = col.recode or {}
    return {recode.get(str(a), str(a)) for a in col.allowed or ()}


def _where(path: str, key: str, raw: Any, columns: tuple[ColumnSpec, ...]) -> tuple[str, str] | None:
    """`where: {<pipeline name>: <value>}`: the table is the rows of its file with that value. The column must
    list its `allowed` values, so a row of an unknown type is an error naming file, column and rows."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or len(raw) != 1:
        raise _bad(path, f"tables.{key}.where: expected one '<pipeline name>: <value>' pair, got {raw!r}")
    ((name, value),) = raw.items()
    col = next((c for c in columns if c.name == name), None)
    if col is None or col.allowed is None:
        raise _bad(path, f"tables.{key}.where: {name!r} must be a pipeline name of this table whose column "
                         "lists its allowed values")
    if str(value) not in type_values(col):
        raise _bad(path, f"tables.{key}.where: value {value!r} is not one of the column's allowed values "
                         f"{sorted(type_values(col))}")
    return str(name), str(value)


def _check_splits(path: str, specs: dict[str, TableSpec]) -> None:
    """Tables that read one file with `where` on one column must take disjoint values that together cover the
    column's allowed values: otherwise some rows would be read twice or by no table, silently."""
    groups: dict[tuple[str, str], list[TableSpec]] = {}
    for spec in specs.values():
        if spec.where is not None:
            groups.setdefault((spec.file, spec.where[0]), []).append(spec)
    for (file, name), group in groups.items():
        taken = [s.where[1] for s in group if s.where is not None]
        allowed = set().union(*(type_values(s.by_name(name)) for s in group))
        keys = [s.key for s in group]
        if len(set(taken)) != len(taken) or set(taken) != allowed:
            raise _bad(path, f"tables {keys} read {file} split by {name}: their where values {taken} must "
                             f"differ and cover the allowed values {sorted(allowed)}")


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
    specs = {key: _table(path.name, key, tables[key]) for key in TABLE_KEYS}
    _check_splits(path.name, specs)
    return specs
