"""`srdi.blas_threads`: the library's small solves run with one BLAS thread (as the DAG's jobs), then restore."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from srdi.blas_threads import limit_blas
from srdi.models import fit_panel
from srdi.models import hdfe as hdfe_module


def blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


@pytest.fixture
def two_threads():
    """The caller's setting (a notebook on a 2-core machine): 2 BLAS threads."""
    with threadpool_limits(limits=2, user_api="blas"):
        outer = blas_threads()
        if not outer or max(outer) < 2:
            pytest.skip("this BLAS cannot run 2 threads here")
        yield outer


def test_limit_in_effect_inside_and_restored_after(two_threads):
    with limit_blas():
        assert blas_threads() == [1] * len(two_threads)
        with limit_blas():  # nested: still one, and the outer limit survives the inner exit
            assert blas_threads() == [1] * len(two_threads)
        assert blas_threads() == [1] * len(two_threads)
    assert blas_threads() == two_threads


def test_restored_after_an_error(two_threads):
    with pytest.raises(RuntimeError), limit_blas():
        raise RuntimeError("a fit that fails")
    assert blas_threads() == two_threads


def test_fit_panel_runs_with_one_blas_thread(two_threads, monkeypatch):
    seen: list[list[int]] = []
    original = hdfe_module.Absorber.demean

    def spy(self, a):
        seen.append(blas_threads())
        return original(self, a)

    monkeypatch.setattr(hdfe_module.Absorber, "demean", spy)
    rng = np.random.default_rng(3)
    firm, year = np.repeat(np.arange(30), 5), np.tile(np.arange(2010, 2015), 30)
    df = pd.DataFrame({"firm": firm, "year": year, "x": rng.normal(size=150)})
    df["y"] = 0.5 * df["x"] + rng.normal(size=150)
    fit_panel(df, {"outcome": "y", "regressors": ["x"], "lag": []}, "firm", "year")
    assert seen and all(threads == [1] * len(two_threads) for threads in seen)
    assert blas_threads() == two_threads
