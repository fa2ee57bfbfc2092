"""Which demo firm-years are SMEs (中小微型企业) by 《中小企业划型标准规定》 (工信部联企业〔2011〕300号): the truth
the panel's `sme` flag is checked against.

The thresholds are written out here from the standard's text for the demo's own industries, not read from
data/sme/ (the pipeline's editable table), so the check does not compare the pipeline with itself. A firm-year
is an SME when a criterion its industry uses is below the bound ("以下" excludes the bound); finance (J) is not
covered by the 2011 standard (missing). The demo's industry of a year is the one in STK_LISTEDCOINFOANL.
"""

from __future__ import annotations

import numpy as np

WAN = 1e4  # 万元 in yuan
# CSRC-2012 code of a demo industry -> (employees below, revenue below, assets below), yuan; None = not used.
_INDUSTRY = (1000, 40_000 * WAN, None)  # 工业
_OTHER = (300, None, None)  # 其他未列明行业
BOUNDS: dict[str, tuple[float | None, float | None, float | None]] = {
    **{f"C{d}": _INDUSTRY for d in range(13, 44)},
    "D44": _INDUSTRY,
    "E48": (None, 80_000 * WAN, 80_000 * WAN),  # 建筑业
    "F51": (200, 40_000 * WAN, None),  # 批发业
    "F52": (300, 20_000 * WAN, None),  # 零售业
    "G54": (1000, 30_000 * WAN, None),  # 交通运输业
    "I63": (2000, 100_000 * WAN, None),  # 信息传输业
    "I64": (2000, 100_000 * WAN, None),
    "I65": (300, 10_000 * WAN, None),  # 软件和信息技术服务业
    "K70": (None, 200_000 * WAN, 10_000 * WAN),  # 房地产开发经营
    "M73": _OTHER, "N77": _OTHER, "R86": _OTHER,
}


def sme_class(industry: np.ndarray, employees: np.ndarray, revenue: np.ndarray, assets: np.ndarray) -> np.ndarray:
    """1.0 SME, 0.0 large, NaN for finance; arrays of one shape (industry: CSRC-2012 codes)."""
    out = np.full(industry.shape, np.nan)
    for code in np.unique(industry):
        if str(code).startswith("J"):
            continue
        at = industry == code
        below = np.zeros(int(at.sum()), dtype=bool)
        for bound, x in zip(BOUNDS[str(code)], (employees, revenue, assets), strict=True):
            if bound is not None:
                below |= x[at] < bound
        out[at] = below.astype(float)
    return out
