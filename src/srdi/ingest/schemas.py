"""Pandera schemas built from the mapping: they check raw text cells so errors quote the file's values."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from .errors import Problem, make_problem
from .mapping import ColumnSpec, TableSpec
from .parsing import MAGNITUDE_LIMIT, is_huge, is_nonfinite, parses_as, to_number

_TYPE_ERRORS = {
    "code": "not a 6-digit stock code",
    "date": "not a date (YYYY-MM-DD)",
    "int": "not an integer",
    "float": "not a number",
}
NONFINITE = "not a finite number (inf / nan come from a computation; leave missing values empty)"
HUGE = (f"absolute value of {MAGNITUDE_LIMIT:.0e} or more (more than any listed firm's balance sheet in yuan; "
        "if such values are real, set min / max for this column in the mapping)").replace("e+", "e")


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _checks(col: ColumnSpec) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if col.dtype in _TYPE_ERRORS:
        checks.append(pa.Check(lambda s, d=col.dtype: parses_as(s, d), error=_TYPE_ERRORS[col.dtype]))
    if col.dtype in ("int", "float"):
        checks.append(pa.Check(lambda s: ~is_nonfinite(s), error=NONFINITE))
        if col.min is None or col.max is None:  # the mapping's bound, where set, replaces the default limit
            lower, upper = col.min is None, col.max is None
            checks.append(pa.Check(lambda s, lo=lower, hi=upper: ~is_huge(s, lo, hi), error=HUGE))
    if col.min is not None or col.max is not None:
        lo = -float("inf") if col.min is None else col.min
        hi = float("inf") if col.max is None else col.max
        what = f"outside the allowed range [{_fmt(lo)}, {_fmt(hi)}]"

        def _within(s: pd.Series, lo: float = lo, hi: float = hi) -> pd.Series:
            num = to_number(s)  # non-finite cells have their own check
            return num.isna() | is_nonfinite(s) | ((num >= lo) & (num <= hi))

        checks.append(pa.Check(_within, error=what))
    if col.allowed is not None:
        allowed = list(col.allowed)
        what = f"not one of the allowed values {allowed}"
        if col.dtype in ("int", "float"):
            nums = {float(a) for a in allowed}
            checks.append(pa.Check(lambda s, n=nums: to_number(s).isna() | is_nonfinite(s) | to_number(s).isin(n),
                                   error=what))
        else:
            texts = {str(a) for a in allowed}
            checks.append(pa.Check(lambda s, t=texts: s.isna() | s.isin(t), error=what))
    return checks


def build_schema(spec: TableSpec, present: list[str] | None = None, check_unique: bool = True
                 ) -> pa.DataFrameSchema:
    """Schema over source field codes; `unique` is checked only if all its columns are present (and
    `check_unique`: the loader checks keys itself across stacked files, dedupe.py)."""
    columns = {
        col.code: pa.Column(checks=_checks(col), nullable=col.nullable, required=col.required, coerce=False)
        for col in spec.columns
    }
    unique = [spec.by_name(n).code for n in spec.unique]
    if not check_unique or (present is not None and not set(unique) <= set(present)):
        unique = []
    return pa.DataFrameSchema(
        columns, unique=unique or None, report_duplicates="all", strict=False, name=spec.key
    )


def validate_raw(frame: pd.DataFrame, spec: TableSpec, file: str, check_unique: bool = True) -> list[Problem]:
    """Run the schema lazily and turn pandera's failure cases into Problems naming rows and values."""
    schema = build_schema(spec, list(frame.columns), check_unique)
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return _problems(exc.failure_cases, frame, spec, file)
    return []


def _problems(cases: pd.DataFrame, frame: pd.DataFrame, spec: TableSpec, file: str) -> list[Problem]:
    names = {c.code: c.name for c in spec.columns}
    out: list[Problem] = []
    unique_codes = [spec.by_name(n).code for n in spec.unique]
    cases = cases.copy()
    cases["check"] = cases["check"].astype(str)
    for check, group in cases.groupby("check", sort=False):
        if check == "column_in_dataframe":
            for code in group["failure_case"].astype(str):
                out.append(make_problem(file, spec.key, "required column is missing from the file",
                                        column=code, name=names.get(code)))
            continue
        if check in ("multiple_fields_uniqueness", "field_uniqueness") or "uniqueness" in check:
            rows = sorted({int(i) for i in group["index"].dropna()})
            values = [tuple(frame.at[r, c] for c in unique_codes) for r in rows]
            out.append(make_problem(file, spec.key, "duplicate key (each key may appear once)",
                                    column=", ".join(unique_codes), name=", ".join(spec.unique),
                                    rows=rows, values=values))
            continue
        for code, sub in group.groupby("column", sort=False):
            what = "missing value (this column must be filled)" if check == "not_nullable" else check
            crashed = sub.loc[sub["index"].isna(), "failure_case"]
            if len(crashed) and check != "not_nullable":  # the check itself raised: say so
                what = f"{what} (check could not run: {crashed.iloc[0]})"
            sub = sub.dropna(subset=["index"]).sort_values("index", key=lambda s: s.astype(int))
            rows = [int(i) for i in sub["index"]]
            out.append(make_problem(file, spec.key, what, column=str(code), name=names.get(str(code)),
                                    rows=rows, values=list(sub["failure_case"])))
    order = {c.code: i for i, c in enumerate(spec.columns)}
    return sorted(out, key=lambda p: order.get(p.column or "", -1))
