"""Goodman-Bacon decomposition: the identity with the TWFE coefficient (pyfixest feols), each 2x2 against a
separate two-group TWFE regression (pyfixest), and Stata `bacondecomp`'s published output on a small example."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from test_did_event_study import simulate

from srdi.models.did.bacon import bacon_decomposition

pf = pytest.importorskip("pyfixest")


def twfe(df: pd.DataFrame) -> float:
    d = df.assign(D=((df.g > 0) & (df.year >= df.g)).astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(pf.feols("y ~ D | firm + year", d).coef()["D"])


@pytest.mark.parametrize(
    ("seed", "cohorts"),
    [(1, (2016, 2018, 2020, 0)), (2, (2012, 2015, 2019, 0)), (3, (2012, 2014, 2017, 2020)), (4, (2013, 2023, 0))],
)
def test_weights_sum_to_one_and_reproduce_twfe(seed: int, cohorts: tuple[int, ...]) -> None:
    df = simulate(seed, cohorts=cohorts)
    res = bacon_decomposition(df, "firm", "year", "y", "g")
    assert res.components["weight"].sum() == pytest.approx(1.0, abs=1e-10)
    assert (res.components["weight"] > 0).all()
    assert res.twfe == pytest.approx(twfe(df), abs=1e-10)
    assert float((res.components["weight"] * res.components["estimate"]).sum()) == pytest.approx(twfe(df), abs=1e-10)
    assert res.by_type["weight"].sum() == pytest.approx(1.0, abs=1e-10)


def test_each_two_by_two_equals_a_two_group_twfe_regression() -> None:
    df = simulate(5, cohorts=(2012, 2015, 2018, 0))
    res = bacon_decomposition(df, "firm", "year", "y", "g")
    for row in res.components.itertuples():
        sub = df[df.g.isin([row.treated, row.control])]
        if row.type == "earlier_vs_later":
            sub = sub[sub.year < row.control]
        elif row.type in ("later_vs_earlier", "later_vs_always"):
            sub = sub[sub.year >= row.control]
        # in the window only the treated group switches, so D = 1[group is `treated` and t >= its start]
        sub = sub.assign(g=np.where(sub.g == row.treated, sub.g, 0))
        assert row.estimate == pytest.approx(twfe(sub), abs=1e-10), row
    assert set(res.components["type"]) == {"treated_vs_never", "earlier_vs_later", "later_vs_earlier",
                                           "later_vs_always"}


def test_published_stata_bacondecomp_example() -> None:
    """Three units, t = 1..10, unit 2 treated from 5 (effect 2), unit 3 from 8 (effect 4), unit 1 never.

    Stata `bacondecomp Y D, ddetail` prints (Statalist thread 1751536): Early_v_Late beta 2, weight .1818181841;
    Late_v_Early 4, .1363636317; Never_v_timing 2.933333323, .6818181841 (float precision).
    """
    rows = [(i, t, g, 2.0 * (i == 2 and t >= 5) + 4.0 * (i == 3 and t >= 8))
            for i, g in ((1, 0), (2, 5), (3, 8)) for t in range(1, 11)]
    df = pd.DataFrame(rows, columns=["id", "t", "g", "y"])
    by_type = bacon_decomposition(df, "id", "t", "y", "g").by_type.set_index("type")
    assert by_type.loc["earlier_vs_later", "estimate"] == pytest.approx(2.0, abs=1e-7)
    assert by_type.loc["earlier_vs_later", "weight"] == pytest.approx(0.1818181841, abs=1e-7)
    assert by_type.loc["later_vs_earlier", "estimate"] == pytest.approx(4.0, abs=1e-7)
    assert by_type.loc["later_vs_earlier", "weight"] == pytest.approx(0.1363636317, abs=1e-7)
    assert by_type.loc["treated_vs_never", "estimate"] == pytest.approx(2.933333323, abs=1e-7)
    assert by_type.loc["treated_vs_never", "weight"] == pytest.approx(0.6818181841, abs=1e-7)


def test_errors() -> None:
    df = simulate(6)
    with pytest.raises(ValueError, match="balanced panel"):
        bacon_decomposition(df.iloc[1:], "firm", "year", "y", "g")
    with pytest.raises(ValueError, match="balanced panel"):
        bacon_decomposition(df.assign(y=df.y.where(df.index != 5)), "firm", "year", "y", "g")
    with pytest.raises(ValueError, match="without controls"):
        bacon_decomposition(df, "firm", "year", "y", "g", controls=["x"])
    with pytest.raises(ValueError, match="not constant within entity"):
        other = 2016 if df.g.iloc[0] == 2018 else 2018
        bacon_decomposition(df.assign(g=np.where(df.index == 0, other, df.g)), "firm", "year", "y", "g")
