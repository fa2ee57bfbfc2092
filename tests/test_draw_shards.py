"""Resampling draws split across jobs: every draw depends only on the seed and its index, never on the layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from srdi.models import draws, run_models
from srdi.models.did.placebo import within_group_permutations
from srdi.models.draws import BLOCK, DrawPlan, draw_rng, read_shards, resample, shard_indices, write_shard
from srdi.models.wild_bootstrap import WEBB_POINTS, wild_weight_rows, wild_weights


def uniform(indices: np.ndarray) -> np.ndarray:
    """A step whose draw i is one number of draw i's own stream."""
    return np.array([draw_rng(17, i).random() for i in indices])


@pytest.mark.parametrize("n", [1, BLOCK - 1, BLOCK, 3 * BLOCK + 7, 1000])
@pytest.mark.parametrize("shards", [2, 3, 7])
def test_shards_cover_every_draw_once_in_whole_blocks(n, shards):
    parts = [shard_indices(n, s, shards) for s in range(shards)]
    np.testing.assert_array_equal(np.concatenate(parts), np.arange(n))
    for part in parts[:-1]:
        assert part.size == 0 or (part[-1] + 1) % BLOCK == 0


def test_a_draw_does_not_depend_on_the_shard_layout(tmp_path):
    whole = resample("u", 230, uniform)
    assert whole.shape == (230,) and np.unique(whole).size == 230
    for shards in (2, 3, 5):
        files = []
        for s in range(shards):
            plan = DrawPlan(shard=s, shards=shards)
            with draws.using(plan, "m"):
                resample("u", 230, uniform)
            files.append(tmp_path / f"{shards}_{s}.npz")
            write_shard(files[-1], plan, shards)
        with draws.using(read_shards(files), "m"):
            combined = resample("u", 230, lambda idx: pytest.fail("a combine step draws nothing"))
        np.testing.assert_array_equal(combined, whole)


def test_missing_or_foreign_shard_files_are_refused(tmp_path):
    files = []
    for s, total in ((0, 3), (1, 3)):
        plan = DrawPlan(shard=s, shards=total)
        with draws.using(plan, "m"):
            resample("u", 10, uniform)
        files.append(tmp_path / f"{s}.npz")
        write_shard(files[-1], plan, total)
    with pytest.raises(ValueError, match=r"expected shards 0..2, got \[0, 1\]"):
        read_shards(files)


def test_more_shards_than_blocks_leave_empty_shards_with_the_right_row_shape(tmp_path):
    def pairs(indices):
        return np.stack([[draw_rng(5, i).random(), float(i)] for i in indices])

    whole = resample("p", 7, pairs)
    files = []
    for s in range(3):
        plan = DrawPlan(shard=s, shards=3)
        with draws.using(plan, "m"):
            resample("p", 7, pairs)
        assert plan.recorded["m/p"].shape == ((7, 2) if s == 2 else (0, 2))  # one block, in the last shard
        files.append(tmp_path / f"{s}.npz")
        write_shard(files[-1], plan, 3)
    with draws.using(read_shards(files), "m"):
        np.testing.assert_array_equal(resample("p", 7, pairs), whole)


# ---------------------------------------------------------------------------------------------
# the `did` kind: placebo assignments and the Callaway-Sant'Anna multiplier bootstrap


def did_panel(n: int = 120) -> pd.DataFrame:
    """Balanced 2012-2020 panel: cohorts 2016 and 2018 and never treated, a growing effect, one covariate."""
    rng = np.random.default_rng(3)
    cohort = np.array([2016, 2018, 0])[np.arange(n) % 3]
    rows = pd.DataFrame([(f"{i:06d}", y) for i in range(n) for y in range(2012, 2021)], columns=["firm", "year"])
    rows["g"] = np.repeat(cohort, 9)
    e = rows["year"] - rows["g"]
    rows["y"] = (np.repeat(rng.normal(size=n), 9) + 0.1 * (rows["year"] - 2012)
                 + np.where((rows["g"] > 0) & (e >= 0), 0.5 + 0.2 * e, 0.0) + rng.normal(scale=0.5, size=len(rows)))
    rows["x1"] = rng.normal(size=len(rows))
    return rows


DID_SPEC = {"kind": "did", "outcome": "y", "first_treated": "g", "window": {"min": -3, "max": 3},
            "estimators": ["twfe", "callaway_santanna"], "callaway_santanna": {"bootstrap": 130},
            "placebo": {"reps": 120, "designs": ["entities", "timing"]}}


@pytest.mark.parametrize("shards", [3, 7])
def test_did_placebo_and_cs_bootstrap_do_not_depend_on_the_shard_layout(tmp_path, shards):
    from srdi.models.did.fit import fit_did_frame

    panel = did_panel()
    whole = fit_did_frame(panel, DID_SPEC, "d", "firm", "year", seed=11)
    files = []
    for s in range(shards):
        plan = DrawPlan(shard=s, shards=shards)
        with draws.using(plan, "d"):
            fit_did_frame(panel, DID_SPEC, "d", "firm", "year", seed=11)
        assert set(plan.recorded) == {"d/placebo:entities", "d/placebo:timing", "d/cs_bootstrap"}
        files.append(tmp_path / f"{s}.npz")
        write_shard(files[-1], plan, shards)
    with draws.using(read_shards(files), "d"):
        combined = fit_did_frame(panel, DID_SPEC, "d", "firm", "year", seed=11)
    pd.testing.assert_frame_equal(combined, whole, check_exact=True)
    placebo = whole[whole["equation"] == "placebo_draw"]
    assert len(placebo) == 240 and placebo["estimate"].notna().all()
    cs = whole[whole["equation"] == "callaway_santanna"]
    assert cs["band_low"].notna().any() and (cs["method"] == "multiplier_bootstrap").all()
# ------------------------------------------------------------------ the panel and iv kinds' resampling steps


def _small_panel(seed: int = 3, firms: int = 60, years: range = range(2012, 2020)) -> pd.DataFrame:
    """Firms in 9 industries (few clusters: wild bootstrap territory), an instrument z for x."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame([(i, y) for i in range(firms) for y in years], columns=["firm", "year"])
    a = rng.normal(size=firms)[frame["firm"]]
    frame["z"] = rng.normal(size=len(frame))
    frame["x"] = 0.5 * a + 0.8 * frame["z"] + rng.normal(size=len(frame))
    frame["c"] = rng.normal(size=len(frame))
    frame["y"] = 0.3 * frame["x"] + 0.2 * frame["c"] + a + rng.normal(size=len(frame))
    frame["ind"] = frame["firm"] % 9
    return frame


CLUSTERED = {"outcome": "y", "controls": ["c"], "vcov": {"type": "cluster", "by": ["ind"]}, "lag": []}
SPECS = {
    # 2^9 = 512 < reps: random Rademacher draws; Webb draws; the within-year regressor placebo
    "wild_rademacher": {"kind": "panel", "regressors": ["x"], **CLUSTERED,
                        "wild_bootstrap": {"reps": 777, "weights": "rademacher"}},
    "wild_webb_placebo": {"kind": "panel", "regressors": ["x"], **CLUSTERED,
                          "wild_bootstrap": {"reps": 999, "weights": "webb"}, "placebo": {"reps": 230}},
    "iv_wild": {"kind": "iv", "endogenous": ["x"], "instruments": ["z"], **CLUSTERED,
                "wild_bootstrap": {"reps": 299, "weights": "webb"}},
    "plain": {"kind": "panel", "regressors": ["x"], **CLUSTERED},  # no draws: unaffected by any plan
}


def _estimates(panel_file: Path, out: Path, shards: int) -> dict[str, bytes]:
    """Every model's estimates file after the draws ran in `shards` jobs (1: one process, no plan)."""
    seeds = {name: 1000 + i for i, name in enumerate(sorted(SPECS))}
    if shards == 1:
        run_models(panel_file, SPECS, seeds, "firm", "year", out)
    else:
        files = []
        for s in range(shards):
            plan = DrawPlan(shard=s, shards=shards)
            run_models(panel_file, SPECS, seeds, "firm", "year", out, plan)
            files.append(out / f"draws_{s}.npz")
            write_shard(files[-1], plan, shards)
        assert not list(out.glob("*.csv"))  # shard jobs write only their draws
        run_models(panel_file, SPECS, seeds, "firm", "year", out, read_shards(files))
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.csv"))}


def test_wild_bootstrap_and_panel_placebo_give_the_same_bytes_in_one_or_three_shards(tmp_path):
    panel_file = tmp_path / "panel.parquet"
    _small_panel().to_parquet(panel_file)
    (tmp_path / "one").mkdir()
    (tmp_path / "three").mkdir()
    one = _estimates(panel_file, tmp_path / "one", 1)
    three = _estimates(panel_file, tmp_path / "three", 3)
    assert sorted(one) == [f"{n}.csv" for n in sorted(SPECS)]
    assert one == three
    wild = pd.read_csv(tmp_path / "one/wild_webb_placebo.csv")
    steps = set(wild["equation"].dropna())
    assert {"wild_bootstrap", "placebo"} <= steps, steps
    row = wild[wild["equation"] == "wild_bootstrap"].iloc[0]
    assert np.isfinite(row["conf_low"]) and np.isfinite(row["conf_high"])  # the interval of the combine step
    iv = pd.read_csv(tmp_path / "one/iv_wild.csv")
    assert (iv["equation"] == "wild_bootstrap").sum() == 1


def test_shard_files_hold_each_resampling_step_of_the_models_that_draw(tmp_path):
    panel_file = tmp_path / "panel.parquet"
    _small_panel().to_parquet(panel_file)
    plan = DrawPlan(shard=0, shards=2)
    seeds = {name: 1 for name in SPECS}
    run_models(panel_file, SPECS, seeds, "firm", "year", tmp_path, plan)
    assert sorted(plan.recorded) == ["iv_wild/wild_bootstrap:x", "wild_rademacher/wild_bootstrap:x",
                                     "wild_webb_placebo/placebo:x", "wild_webb_placebo/wild_bootstrap:x"]
    assert plan.recorded["wild_webb_placebo/wild_bootstrap:x"].shape == (500, 5)  # 10 of 20 blocks of 50 draws
    assert plan.recorded["iv_wild/wild_bootstrap:x"].shape[1:] == (9, 1, 3)  # per cluster, instrument, column


def test_wild_weight_rows_depend_only_on_the_seed_and_the_draw_index():
    full, enumerated = wild_weights(9, 400, "webb", seed=4)
    assert not enumerated and full.shape == (400, 9)
    picked = np.array([399, 3, 250, 251, 252, 0])
    np.testing.assert_array_equal(wild_weight_rows(9, picked, "webb", 4), full[picked])
    np.testing.assert_array_equal(wild_weight_rows(9, np.arange(250, 300), "webb", 4), full[250:300])
    # draw b: words [9b, 9b + 9) of the seed's PCG64 stream, Webb point = word mod 6 (a naive loop over the
    # documented definition: one generator read in sequence, as a one-job run would)
    words = np.random.PCG64(np.random.SeedSequence(4)).random_raw(400 * 9).reshape(400, 9)
    np.testing.assert_array_equal(full, WEBB_POINTS[[[int(w) % 6 for w in row] for row in words]])
    signs = wild_weights(9, 300, "rademacher", seed=4)[0]
    np.testing.assert_array_equal(signs, [[1.0 if int(w) >= 2**63 else -1.0 for w in row] for row in words[:300]])
    # what a weight row must be: uniform over the points, independent across clusters and draws
    big = wild_weight_rows(40, np.arange(5000), "webb", 11)
    counts = np.unique(big, return_counts=True)[1] / big.size
    assert np.allclose(counts, 1 / 6, atol=0.004) and abs(big.mean()) < 0.01 and abs((big**2).mean() - 1) < 0.01
    assert np.abs(np.corrcoef(big.T)[np.triu_indices(40, 1)]).max() < 0.07  # clusters uncorrelated
    assert abs(np.corrcoef(big[:-1].ravel(), big[1:].ravel())[0, 1]) < 0.01  # consecutive draws uncorrelated
    # full enumeration (2^G <= reps) is deterministic and ignores the seed: row b is the sign vector of b's bits
    signs, enumerated = wild_weights(4, 16, "rademacher", seed=1)
    assert enumerated and signs.shape == (16, 4) and len({tuple(r) for r in signs}) == 16
    np.testing.assert_array_equal(signs[5], [1.0, -1.0, 1.0, -1.0])
    np.testing.assert_array_equal(signs, wild_weights(4, 99, "rademacher", seed=2)[0])


def test_panel_placebo_permutations_depend_only_on_the_seed_and_the_draw_index():
    years = np.array([2013, 2012, 2013, 2012, 2014, 2013, 2012, 2013, 2014])
    full = list(within_group_permutations(years, 60, seed=8))
    picked = list(within_group_permutations(years, np.array([59, 7]), seed=8))
    np.testing.assert_array_equal(picked[0], full[59])
    np.testing.assert_array_equal(picked[1], full[7])
    rows_by_year = [np.flatnonzero(years == y) for y in (2012, 2013, 2014)]  # groups in sorted order
    for b in (0, 7, 59):  # draw b: its own stream shuffles each year's rows in turn (naive loop)
        rng, perm = draw_rng(8, b), np.arange(years.size)
        for rows in rows_by_year:
            perm[rows] = rows[rng.permutation(rows.size)]
        np.testing.assert_array_equal(full[b], perm)
