import math

import pandas as pd
import pytest

from srdi.describe import correlations, descriptives


def test_descriptives_by_hand_on_sample_rows():
    panel = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 100.0], "in_sample": [True, True, True, True, False]})
    row = descriptives(panel, ["x"]).iloc[0]
    assert row["n"] == 4 and row["mean"] == 2.5
    assert row["sd"] == pytest.approx(math.sqrt(((1.5**2) * 2 + (0.5**2) * 2) / 3))
    assert (row["min"], row["p25"], row["median"], row["p75"], row["max"]) == (1.0, 1.75, 2.5, 3.25, 4.0)


def test_correlation_by_hand():
    panel = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 1.0, 4.0, 3.0]})
    out = correlations(panel, ["a", "b"]).set_index(["var1", "var2"])
    # cov = (-1.5*-0.5 + -0.5*-1.5 + 0.5*1.5 + 1.5*0.5)/3 = 1, var a = var b = 5/3 -> r = 0.6
    assert out.loc[("b", "a"), "r"] == pytest.approx(0.6)
    assert out.loc[("a", "a"), "r"] == 1.0
