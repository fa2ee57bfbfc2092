"""Resampling draws split across jobs: every draw depends only on the seed and its index, never on the layout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from srdi.models import draws
from srdi.models.draws import BLOCK, DrawPlan, draw_rng, read_shards, resample, shard_indices, write_shard


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
