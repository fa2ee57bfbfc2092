"""Heterogeneity kind: per-group fits, the fast permutation refits, and the permutation test's behaviour."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest

from srdi.models import draws, fit_panel
from srdi.models.heterogeneity import (
    FewClustersWarning,
    estimation_rows,
    fe_codes,
    fit_heterogeneity,
    group_coefficients,
    parse_heterogeneity,
)


def panel(seed: int = 5, n_firms: int = 80, gap: float = 0.0, years: range = range(2014, 2021)) -> pd.DataFrame:
    """Firm-constant group `grp` (half the firms); the slope of x is 0.5 + gap in group 1."""
    rng = np.random.default_rng(seed)
    rows = [(f, t) for f in range(n_firms) for t in years if rng.random() > 0.1]
    d = pd.DataFrame(rows, columns=["firm", "year"])
    n = len(d)
    d["grp"] = (d["firm"] % 2).astype(int)
    alpha = rng.normal(size=n_firms)[d["firm"]]
    d["x"] = rng.normal(size=n) + 0.5 * alpha
    d["w"] = rng.normal(size=n)
    d["y"] = (0.5 + gap * d["grp"]) * d["x"] + 0.2 * d["w"] + alpha + 0.1 * (d["year"] - 2014) + rng.normal(size=n)
    d["in_sample"] = rng.random(n) > 0.05
    return d


SPEC = {"kind": "heterogeneity", "outcome": "y", "regressors": ["x"], "controls": ["w"], "group_by": "grp",
        "permutations": 99, "min_clusters": 10}  # fmt: skip


def run(d: pd.DataFrame, seed: int = 1, **kw) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        return fit_heterogeneity(d, {**SPEC, **kw}, "het", "firm", "year", seed)


def test_group_rows_equal_separate_panel_fits_with_a_sample_filter():
    d = panel(gap=0.3)
    out = run(d)
    assert out["equation"].tolist() == ["group:0", "group:0", "group:1", "group:1", "difference"]
    for g in (0, 1):
        ref = fit_panel(d, {"outcome": "y", "regressors": ["x"], "controls": ["w"], "sample": f"grp == {g}"},
                        "firm", "year")  # fmt: skip
        rows = out[out["equation"] == f"group:{g}"].set_index("term")
        np.testing.assert_allclose(rows.loc[["x", "w"], "estimate"], ref.params[["x", "w"]], rtol=1e-12)
        np.testing.assert_allclose(rows.loc[["x", "w"], "std_error"], ref.std_errors[["x", "w"]], rtol=1e-12)
        assert (rows["nobs"] == ref.nobs).all() and (rows["group"] == str(g)).all()
    diff = out[out["equation"] == "difference"].iloc[0]
    b = out[out["term"] == "x"].set_index("equation")["estimate"]
    assert diff["estimate"] == pytest.approx(b["group:0"] - b["group:1"], rel=1e-12)
    assert (diff["method"], diff["group_a"], diff["group_b"], diff["n_permutations"]) == ("permutation", "0", "1", 99)


def test_fast_refits_equal_fit_panel_on_permuted_labels():
    d = panel(gap=0.3)
    hs = parse_heterogeneity(SPEC, "het", "firm", "year")
    rows = estimation_rows(d, hs.panel, "firm", "year", extra=["grp"])
    y, x = rows["y"].to_numpy(float), rows[["x", "w"]].to_numpy(float)
    codes = fe_codes(rows, hs.panel, "firm", "year")
    rng = np.random.default_rng(0)
    firms = rows["firm"].unique()
    for _ in range(3):
        in_a = rows["firm"].isin(rng.permutation(firms)[: len(firms) // 2]).to_numpy()
        lab = pd.Series(np.nan, index=d.index)
        lab[rows.index] = np.where(in_a, 0, 1)
        d2 = d.assign(perm=lab)
        for label, mask in ((0, in_a), (1, ~in_a)):
            ref = fit_panel(d2, {"outcome": "y", "regressors": ["x"], "controls": ["w"], "sample": f"perm == {label}"},
                            "firm", "year")  # fmt: skip
            fast = group_coefficients(y, x, codes, mask, 1)
            assert fast[0] == pytest.approx(ref.params["x"], rel=1e-10)


def test_permutation_p_reproducible_small_with_a_gap_and_not_without():
    """The DGP's slope is on contemporaneous x, hence lag: []; 99 draws, so p = 0 means p < 1/99."""
    d_gap, d_null = panel(gap=0.5), panel(gap=0.0)
    p1 = run(d_gap, seed=11, lag=[])["p_value"].iloc[-1]
    assert p1 == run(d_gap, seed=11, lag=[])["p_value"].iloc[-1]
    assert p1 <= 0.02
    p0 = run(d_null, seed=11, lag=[])["p_value"].iloc[-1]
    assert p0 > 0.05
    assert run(d_null, seed=11, lag=[])["p_value"].iloc[-1] == p0
    assert run(d_null, seed=12, lag=[])["p_value"].iloc[-1] != p0  # the seed is what drives the draws


def test_warns_when_a_group_has_few_clusters():
    d = panel(n_firms=40)
    with pytest.warns(FewClustersWarning) as record:
        fit_heterogeneity(d, {**SPEC, "min_clusters": 30, "permutations": 0}, "het", "firm", "year", 0)
    messages = [str(w.message) for w in record]
    assert messages[0].startswith("model 'het': group grp = 0 has only 20 clusters (< min_clusters = 30)")
    assert messages[1].startswith("model 'het': group grp = 1 has only 20 clusters")


def test_group_varying_within_firm_raises_or_permutes_observations():
    d = panel()
    d.loc[d["firm"] == 3, "grp"] = (d.loc[d["firm"] == 3, "year"] > 2017).astype(int)
    with pytest.raises(ValueError, match=r"model 'het'.*changes within 1 firm.*permute_by"):
        run(d)
    out = run(d, permute_by="observation")
    assert 0 <= out["p_value"].iloc[-1] <= 1


def test_groups_pick_two_and_all_pairs_otherwise():
    d = panel()
    d["region"] = np.array(["east", "mid", "west"])[d["firm"] % 3]
    out = run(d, group_by="region", permutations=5)
    diff = out[out["equation"] == "difference"]
    pairs = list(zip(diff["group_a"], diff["group_b"], strict=True))
    assert pairs == [("east", "mid"), ("east", "west"), ("mid", "west")]
    out = run(d, group_by="region", groups=["west", "east"], permutations=5)
    assert out["equation"].unique().tolist() == ["group:west", "group:east", "difference"]
    with pytest.raises(ValueError, match=r"model 'het'.*'north'"):
        run(d, group_by="region", groups=["west", "north"])
    with pytest.raises(ValueError, match=r"model 'het'.*'nope'"):
        run(d, group_by="nope")


def test_heterogeneity_estimates_equal_with_one_or_three_shards(tmp_path):
    """The permutation p-values (and every other cell) of the combined shards equal the one-job run."""
    d = panel(gap=0.2)
    spec = {**SPEC, "permutations": 120}

    def as_csv(frame):
        buf = io.StringIO()
        frame.to_csv(buf, index=False)
        return buf.getvalue()

    single = as_csv(run(d, **spec))
    files = []
    for s in range(3):
        plan = draws.DrawPlan(shard=s, shards=3)
        with draws.using(plan, "het"):
            run(d, **spec)
        files.append(tmp_path / f"{s}.npz")
        draws.write_shard(files[-1], plan, 3)
    with draws.using(draws.read_shards(files), "het"):
        assert as_csv(run(d, **spec)) == single


def test_a_control_absorbed_by_the_firm_effects_leaves_the_permutation_p_unchanged():
    """A firm-constant control (dropped by every group fit) is left out of the weighted sums, not refitted:
    the p-value equals the one without that control."""
    d = panel(gap=0.2)
    d["const_in_firm"] = (d["firm"] % 7).astype(float)
    with_it = run(d, controls=["w", "const_in_firm"], permutations=60)
    without = run(d, permutations=60)
    assert with_it["p_value"].iloc[-1] == without["p_value"].iloc[-1]
    assert "const_in_firm" in with_it["dropped_terms"].iloc[-1]
