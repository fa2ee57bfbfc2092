"""One BLAS thread around the library's own small solves, so that library use runs as the pipeline does.

The Snakemake jobs run with `threads: 1` (Snakemake then sets OPENBLAS_NUM_THREADS and friends to 1). In a
notebook, a benchmark or any other library use, OpenBLAS starts one thread per core instead, and for the small
matrices of a specification grid, a bootstrap or a permutation test those threads mostly wait for each other: on a
loaded 2-core machine a 48-model grid took 28-39 s with OpenBLAS's default 2 threads and 3.4-4.8 s with one
(issue 14). So the entry points that loop over small solves (`run.fit_one`, which every model kind and every grid
passes through, `fit_panel`, the bootstraps, permutation and placebo tests) run inside `limit_blas()`, which sets
every loaded BLAS library to `SMALL_SOLVE_THREADS` and restores the previous setting on exit. Nesting is cheap (the
controller is built once), so a decorated function called inside another is fine.

`limit_blas` is a context manager and a decorator (`@limit_blas()`). It limits the BLAS libraries loaded when it is
first used (numpy's and scipy's OpenBLAS, both loaded by then); OpenMP pools are left alone (numpy and scipy do not
use them for these solves).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SMALL_SOLVE_THREADS = 1  # as the Snakemake jobs (threads: 1)

_controller: Any = None


def _blas_controller() -> Any:
    """One threadpoolctl controller for the process (building one scans the loaded libraries: ~1 ms)."""
    global _controller
    if _controller is None:
        import scipy.linalg  # noqa: F401  (loads scipy's own OpenBLAS, so that it is limited too)
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller


@contextmanager
def limit_blas(threads: int = SMALL_SOLVE_THREADS) -> Iterator[None]:
    """Run the block (or the decorated function) with at most `threads` BLAS threads; restore them afterwards."""
    with _blas_controller().limit(limits=threads, user_api="blas"):
        yield
