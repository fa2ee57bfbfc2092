"""Treatment cohorts of a staggered design: the first treated year of each entity (0 = never treated).

Staggered DID estimators take the cohort (R `did`'s `gname`) rather than the 0/1 treatment column, and their
identification needs three things of it, checked here once for every estimator:

* treatment is absorbing (once 1, 1 in every later observed year of the entity): a switch back to 0 is an error;
* the cohort is constant within the entity and is 0 or one of the years the panel spans;
* each treated entity has a pre-period: its first treated year, less `anticipation`, comes after its first
  observed year. An entity treated from its first observation has no untreated base period, so no ATT(g,t)
  can be identified for it. R `did` drops such units with a warning ("Dropped N units that were already treated
  in the first period"); the default here (`no_pre="drop"`) does the same, logs the count and returns the dropped
  entities; `no_pre="error"` raises instead. R checks against the panel's first period, we check against the
  entity's first observed year (the same in a balanced panel; in an unbalanced one an entity that enters the
  panel already treated is left-censored: its true first treated year is unknown).

Errors are `ValueError`s naming the model, the column and up to five example entities.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

NO_PRE_ACTIONS = ("drop", "error")
N_EXAMPLES = 5


class Cohorts(NamedTuple):
    frame: pd.DataFrame  # the input rows (less dropped entities) with the cohort column
    dropped_no_pre: tuple  # entities dropped for having no pre-period (empty unless no_pre="drop")


def _examples(values: pd.Index | np.ndarray | list) -> str:
    shown = list(pd.unique(np.asarray(values)))[:N_EXAMPLES]
    return ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in shown)


def _check_columns(df: pd.DataFrame, model: str, columns: list[str]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"model {model!r}: column(s) {missing} not in the data")


def _check_time(df: pd.DataFrame, model: str, entity: str, time: str) -> np.ndarray:
    t = df[time]
    if t.isna().any() or not pd.api.types.is_numeric_dtype(t) or not np.all(np.mod(t.to_numpy(float), 1) == 0):
        raise ValueError(f"model {model!r}: time column {time!r} must hold integer years without missing values")
    if df[entity].isna().any():
        raise ValueError(f"model {model!r}: entity column {entity!r} has missing values")
    dup = df.duplicated([entity, time], keep=False)
    if dup.any():
        raise ValueError(f"model {model!r}: ({entity!r}, {time!r}) is not unique, e.g. entities "
                         f"{_examples(df.loc[dup, entity])}")
    return t.to_numpy(np.int64)


def _apply_no_pre(df: pd.DataFrame, model: str, entity: str, column: str, no_pre: str,
                  bad_entities: np.ndarray, detail: str) -> Cohorts:
    if no_pre not in NO_PRE_ACTIONS:
        raise ValueError(f"model {model!r}: no_pre must be one of {NO_PRE_ACTIONS}, got {no_pre!r}")
    if bad_entities.size == 0:
        return Cohorts(df, ())
    message = (f"model {model!r}: {bad_entities.size} treated entities have no pre-period in the panel "
               f"({column!r} {detail}), e.g. {_examples(bad_entities)}")
    if no_pre == "error":
        raise ValueError(message)
    logger.warning("%s; dropped, as R did does", message)
    keep = ~df[entity].isin(bad_entities)
    return Cohorts(df.loc[keep], tuple(v.item() if isinstance(v, np.generic) else v for v in bad_entities))


def cohorts_from_treatment(
    df: pd.DataFrame,
    entity: str,
    time: str,
    treatment: str,
    model: str,
    out: str = "first_treat",
    anticipation: int = 0,
    no_pre: str = "drop",
) -> Cohorts:
    """First treated year per entity from an absorbing 0/1 column: the first year with 1, 0 if never 1.

    Returns a copy of the rows with the cohort in column `out` (entities without a pre-period dropped or an
    error, see the module docstring). Missing or non-0/1 treatment values and treatment switching off are errors.
    """
    _check_columns(df, model, [entity, time, treatment])
    years = _check_time(df, model, entity, time)
    d = df[treatment]
    if pd.api.types.is_bool_dtype(d):
        d = d.astype(np.int64)
    if d.isna().any():
        raise ValueError(f"model {model!r}: treatment column {treatment!r} has missing values, e.g. entities "
                         f"{_examples(df.loc[d.isna(), entity])}")
    values = d.to_numpy(dtype=float)
    bad = (values != 0) & (values != 1)
    if bad.any():
        raise ValueError(f"model {model!r}: treatment column {treatment!r} must be 0/1, e.g. entities "
                         f"{_examples(df.loc[bad, entity])}")
    codes_orig = pd.factorize(df[entity])[0]
    order = np.lexsort((years, codes_orig))
    codes = codes_orig[order]
    ds = values[order]
    ys = years[order]
    same = codes[1:] == codes[:-1]
    switch_off = same & (ds[:-1] == 1) & (ds[1:] == 0)
    if switch_off.any():
        ents = df[entity].to_numpy()[order][1:][switch_off]
        raise ValueError(f"model {model!r}: treatment column {treatment!r} switches off (1 then 0) within "
                         f"{np.unique(codes[1:][switch_off]).size} entities, e.g. {_examples(ents)}; staggered DID "
                         "needs an absorbing treatment")
    n_ent = int(codes.max()) + 1 if codes.size else 0
    big = np.iinfo(np.int64).max
    first_treated = np.full(n_ent, big, dtype=np.int64)
    np.minimum.at(first_treated, codes[ds == 1], ys[ds == 1])
    first_seen = np.full(n_ent, big, dtype=np.int64)
    np.minimum.at(first_seen, codes, ys)
    cohort = np.where(first_treated == big, 0, first_treated)
    result = df.copy()
    result[out] = cohort[codes_orig]
    no_pre_mask = (cohort > 0) & (cohort - anticipation <= first_seen)
    ent_names = df[entity].to_numpy()[order]
    first_pos = np.r_[0, np.flatnonzero(~same) + 1]
    bad_entities = ent_names[first_pos][no_pre_mask]
    return _apply_no_pre(result, model, entity, treatment, no_pre, bad_entities,
                         "is 1 in the entity's first observed year" if anticipation == 0
                         else f"is 1 within {anticipation} year(s) of the entity's first observed year")


def validate_first_treat(
    df: pd.DataFrame,
    entity: str,
    time: str,
    first_treat: str,
    model: str,
    anticipation: int = 0,
    no_pre: str = "drop",
) -> Cohorts:
    """Check a given first-treated-year column (0 = never treated); see the module docstring for the rules.

    Returns the rows (entities without a pre-period dropped, or an error with `no_pre="error"`).
    """
    _check_columns(df, model, [entity, time, first_treat])
    years = _check_time(df, model, entity, time)
    g = df[first_treat]
    if g.isna().any() or not pd.api.types.is_numeric_dtype(g) or not np.all(np.mod(g.to_numpy(float), 1) == 0):
        raise ValueError(f"model {model!r}: first-treated column {first_treat!r} must hold integer years (0 for "
                         "never treated) without missing values")
    gv = g.to_numpy(np.int64)
    ent = df[entity]
    n_values = pd.Series(gv, index=df.index).groupby(ent.to_numpy(), sort=False).nunique()
    varying = n_values.index[n_values.to_numpy() > 1]
    if varying.size:
        raise ValueError(f"model {model!r}: treatment column {first_treat!r} is not constant within entity "
                         f"({varying.size} entities), e.g. {_examples(varying)}")
    lo, hi = int(years.min()), int(years.max())
    outside = (gv != 0) & ((gv < lo) | (gv > hi))
    if outside.any():
        vals = sorted(set(gv[outside].tolist()))
        raise ValueError(f"model {model!r}: first-treated years {vals[:N_EXAMPLES]} in {first_treat!r} lie outside "
                         f"the panel's years {lo}-{hi} (0 marks never treated), e.g. entities "
                         f"{_examples(ent[outside])}")
    per_entity = pd.DataFrame({"g": gv, "t": years}).groupby(ent.to_numpy(), sort=False).agg(g=("g", "first"),
                                                                                            t=("t", "min"))
    bad = per_entity.index[(per_entity["g"] > 0) & (per_entity["g"] - anticipation <= per_entity["t"])]
    return _apply_no_pre(df, model, entity, first_treat, no_pre, np.asarray(bad),
                         "is at or before the entity's first observed year" if anticipation == 0
                         else f"less anticipation {anticipation} is at or before the entity's first observed year")
