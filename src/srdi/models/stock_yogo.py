"""Stock-Yogo (2005) critical values for the Cragg-Donald F statistic of 2SLS (weak-instrument test).

Typed from Stock, J.H. and Yogo, M. (2005), "Testing for Weak Instruments in Linear IV Regression", in
Andrews & Stock (eds.), *Identification and Inference for Econometric Models*, Cambridge University Press:

* Table 5.1 (2SLS relative bias): critical values of the Cragg-Donald F for a maximal bias of 2SLS relative to
  OLS of b = 5%, 10%, 20%, 30% (5% significance), for n = 1, 2, 3 endogenous regressors and K2 = 3, ..., 30
  excluded instruments (defined for K2 >= n + 2);
* Table 5.2 (2SLS size): critical values for a maximal size of a nominal 5% Wald test of r = 10%, 15%, 20%,
  25%, for n = 1, 2 and K2 = 1, ..., 30 (K2 >= n).

ivreg2 / ivreghdfe print the same numbers under "Stock-Yogo weak ID test critical values" (its `cdsy` table,
which continues to K2 = 100 from the working-paper version; only the published K2 <= 30 are typed here).
They are derived for i.i.d. errors; comparing the Kleibergen-Paap rk Wald F with them is the common heuristic
ivreg2 follows, not a test with known size (docs/estimation.md, "Instrumental variables").
"""

from __future__ import annotations

import math

MAX_INSTRUMENTS = 30

# One line per K2 = 1..30; columns n = 1, 2, 3 ("." = not defined).
_BIAS = {
    5: """. . .|. . .|13.91 . .|16.85 11.04 .|18.37 13.97 9.53|19.28 15.72 12.20|19.86 16.88 13.95|
        20.25 17.70 15.18|20.53 18.30 16.10|20.74 18.76 16.80|20.90 19.12 17.35|21.01 19.40 17.80|
        21.10 19.64 18.17|21.18 19.83 18.47|21.23 19.98 18.73|21.28 20.12 18.94|21.31 20.23 19.13|
        21.34 20.33 19.29|21.36 20.41 19.44|21.38 20.48 19.56|21.39 20.54 19.67|21.40 20.60 19.77|
        21.41 20.65 19.86|21.41 20.69 19.94|21.42 20.73 20.01|21.42 20.76 20.07|21.42 20.79 20.13|
        21.42 20.82 20.18|21.42 20.84 20.23|21.42 20.86 20.27""",
    10: """. . .|. . .|9.08 . .|10.27 7.56 .|10.83 8.78 6.61|11.12 9.48 7.77|11.29 9.92 8.50|
        11.39 10.22 9.01|11.46 10.43 9.37|11.49 10.58 9.64|11.51 10.69 9.85|11.52 10.78 10.01|
        11.52 10.84 10.14|11.52 10.89 10.25|11.51 10.93 10.33|11.50 10.96 10.41|11.49 10.99 10.47|
        11.48 11.00 10.52|11.46 11.02 10.56|11.45 11.03 10.60|11.44 11.04 10.63|11.42 11.05 10.65|
        11.41 11.05 10.68|11.40 11.05 10.70|11.38 11.06 10.71|11.37 11.06 10.73|11.36 11.06 10.74|
        11.34 11.05 10.75|11.33 11.05 10.76|11.32 11.05 10.77""",
    20: """. . .|. . .|6.46 . .|6.71 5.57 .|6.77 5.91 4.99|6.76 6.08 5.35|6.73 6.16 5.56|6.69 6.20 5.69|
        6.65 6.22 5.78|6.61 6.23 5.83|6.56 6.23 5.87|6.53 6.22 5.90|6.49 6.21 5.92|6.45 6.20 5.93|
        6.42 6.19 5.94|6.39 6.17 5.94|6.36 6.16 5.94|6.33 6.14 5.94|6.31 6.13 5.94|6.28 6.11 5.93|
        6.26 6.10 5.93|6.24 6.08 5.92|6.22 6.07 5.92|6.20 6.06 5.91|6.18 6.05 5.90|6.16 6.03 5.90|
        6.14 6.02 5.89|6.13 6.01 5.88|6.11 6.00 5.88|6.09 5.99 5.87""",
    30: """. . .|. . .|5.39 . .|5.34 4.73 .|5.25 4.79 4.30|5.15 4.78 4.40|5.07 4.76 4.44|4.99 4.73 4.46|
        4.92 4.69 4.46|4.86 4.66 4.45|4.80 4.62 4.44|4.75 4.59 4.42|4.71 4.56 4.41|4.67 4.53 4.39|
        4.63 4.50 4.37|4.59 4.48 4.36|4.56 4.45 4.34|4.53 4.43 4.32|4.51 4.41 4.31|4.48 4.39 4.29|
        4.46 4.37 4.28|4.43 4.35 4.27|4.41 4.33 4.25|4.39 4.32 4.24|4.37 4.30 4.23|4.35 4.29 4.21|
        4.34 4.27 4.20|4.32 4.26 4.19|4.31 4.24 4.18|4.29 4.23 4.17""",
}

# One line per K2 = 1..30; columns n = 1, 2.
_SIZE = {
    10: """16.38 .|19.93 7.03|22.30 13.43|24.58 16.87|26.87 19.45|29.18 21.68|31.50 23.72|33.84 25.64|
        36.19 27.51|38.54 29.32|40.90 31.11|43.27 32.88|45.64 34.62|48.01 36.36|50.39 38.08|52.77 39.80|
        55.15 41.51|57.53 43.22|59.92 44.92|62.30 46.62|64.69 48.31|67.07 50.01|69.46 51.70|71.85 53.39|
        74.24 55.07|76.62 56.76|79.01 58.45|81.40 60.13|83.79 61.82|86.17 63.51""",
    15: """8.96 .|11.59 4.58|12.83 8.18|13.96 9.93|15.09 11.22|16.23 12.33|17.38 13.34|18.54 14.31|
        19.71 15.24|20.88 16.16|22.06 17.06|23.24 17.95|24.42 18.84|25.61 19.72|26.80 20.60|27.99 21.48|
        29.19 22.35|30.38 23.22|31.58 24.09|32.77 24.96|33.97 25.82|35.17 26.69|36.37 27.56|37.57 28.42|
        38.77 29.29|39.97 30.15|41.17 31.02|42.37 31.88|43.57 32.74|44.78 33.61""",
    20: """6.66 .|8.75 3.95|9.54 6.40|10.26 7.54|10.98 8.38|11.72 9.10|12.48 9.77|13.24 10.41|14.01 11.03|
        14.78 11.65|15.56 12.25|16.35 12.86|17.14 13.45|17.93 14.05|18.72 14.65|19.51 15.24|20.31 15.83|
        21.10 16.42|21.90 17.02|22.70 17.61|23.50 18.20|24.30 18.79|25.10 19.38|25.90 19.97|26.71 20.56|
        27.51 21.15|28.31 21.74|29.12 22.33|29.92 22.92|30.72 23.51""",
    25: """5.53 .|7.25 3.63|7.80 5.45|8.31 6.28|8.84 6.89|9.38 7.42|9.93 7.91|10.50 8.39|11.07 8.85|
        11.65 9.31|12.23 9.77|12.82 10.22|13.41 10.68|14.00 11.13|14.60 11.58|15.19 12.03|15.79 12.49|
        16.39 12.94|16.99 13.39|17.60 13.84|18.20 14.29|18.80 14.74|19.41 15.19|20.01 15.64|20.61 16.10|
        21.22 16.55|21.83 17.00|22.43 17.45|23.04 17.90|23.65 18.35""",
}


def _parse(text: str, width: int) -> tuple[tuple[float, ...], ...]:
    rows = [line.split() for line in text.replace("\n", "").split("|")]
    if len(rows) != MAX_INSTRUMENTS or any(len(r) != width for r in rows):
        raise AssertionError("Stock-Yogo table mistyped")  # checked at import: a wrong shape never ships
    return tuple(tuple(math.nan if v == "." else float(v) for v in r) for r in rows)


BIAS = {pct: _parse(text, 3) for pct, text in _BIAS.items()}
SIZE = {pct: _parse(text, 2) for pct, text in _SIZE.items()}


def critical_values(n_endog: int, n_instruments: int) -> dict[str, float]:
    """Critical values defined for (n endogenous, K2 excluded instruments), keyed `sy_size_<r>` / `sy_bias_<b>`.

    Empty when outside the published tables (n > 3, K2 > 30, or K2 too small for the bias tables).
    """
    out: dict[str, float] = {}
    if not 1 <= n_instruments <= MAX_INSTRUMENTS or n_endog < 1:
        return out
    row = n_instruments - 1
    if n_endog <= 2:
        for pct, table in SIZE.items():
            value = table[row][n_endog - 1]
            if not math.isnan(value):
                out[f"sy_size_{pct}"] = value
    if n_endog <= 3:
        for pct, table in BIAS.items():
            value = table[row][n_endog - 1]
            if not math.isnan(value):
                out[f"sy_bias_{pct}"] = value
    return out
