"""Registered province and CSRC industry by firm-year: a few firms move province or are reclassified during
the panel, as STK_LISTEDCOINFOANL records them (docs/demo_dgp.md, "Province and industry by year").

The DGP uses the year's values: the innovation environment of the province the firm is registered in that year,
and the industry-year shock of that year's industry. No planted coefficient changes. Draws come from the demo's
`moves` stream, the last one, so no other component's draws change; reclassifications go to industries some
firm already has, so the industry-year shock table keeps its shape and draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from srdi.demo import names as nm

RATES = {
    "relocated_in_panel": 0.015,  # firms whose registered province changes in a panel year (once)
    "reclassified_in_panel": 0.03,  # non-finance firms whose CSRC industry changes in a panel year (once)
}
INDUSTRY_NAMES = {code: name for code, name, *_ in nm.INDUSTRIES}


def firm_year_groups(rng: np.random.Generator, firms: pd.DataFrame, written: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(province, industry code) arrays (N, K): the firm's founding values, changed from a drawn written year
    (never its first) on for the firms that move or are reclassified."""
    n, k = written.shape
    prov = np.repeat(firms["PROVINCE"].to_numpy(dtype=object)[:, None], k, axis=1)
    ind = np.repeat(firms["Nnindcd"].to_numpy(dtype=object)[:, None], k, axis=1)
    finance = firms["is_finance"].to_numpy()
    provinces = [p[0] for p in nm.PROVINCES]
    industries = sorted(set(firms.loc[~finance, "Nnindcd"]))
    u_move, u_recl = rng.random(n), rng.random(n)
    for i in range(n):
        years = np.flatnonzero(written[i])
        if years.size < 2:
            continue
        if u_move[i] < RATES["relocated_in_panel"]:
            others = [p for p in provinces if p != prov[i, 0]]
            prov[i, years[rng.integers(1, years.size)]:] = others[int(rng.integers(len(others)))]
        if u_recl[i] < RATES["reclassified_in_panel"] and not finance[i] and len(industries) > 1:
            others = [c for c in industries if c != ind[i, 0]]
            ind[i, years[rng.integers(1, years.size)]:] = others[int(rng.integers(len(others)))]
    return prov, ind
