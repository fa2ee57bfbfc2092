import math

import numpy as np
import pandas as pd
import pytest

from srdi.indices import composite_index, entropy_weights


def test_entropy_weights_hand_example():
    # x1 = 1,2,3 -> normalised 0, .5, 1 -> p = 0, 1/3, 2/3; x2 = 5,5,6 -> 0, 0, 1 -> p = 0, 0, 1.
    frame = pd.DataFrame({"x1": [1.0, 2.0, 3.0], "x2": [5.0, 5.0, 6.0]})
    e1 = -(1 / math.log(3)) * ((1 / 3) * math.log(1 / 3) + (2 / 3) * math.log(2 / 3))
    e2 = 0.0  # one observation carries all the mass
    d1, d2 = 1 - e1, 1 - e2
    w = entropy_weights(frame)
    assert e1 == pytest.approx(0.579380, abs=1e-6)
    assert w["x1"] == pytest.approx(d1 / (d1 + d2), rel=1e-12)
    assert w["x2"] == pytest.approx(d2 / (d1 + d2), rel=1e-12)
    assert w["x1"] == pytest.approx(0.296082, abs=1e-6)


def test_composite_index_values_and_missing():
    frame = pd.DataFrame({"x1": [1.0, 2.0, 3.0, np.nan], "x2": [5.0, 5.0, 6.0, 5.0]})
    index, _w = composite_index(frame, ["x1", "x2"], "entropy")
    # row 2: x1' = .5, x2' = 0 -> .5 * w1
    assert index.iloc[1] == pytest.approx(0.5 * 0.296082, abs=1e-6)
    assert index.iloc[2] == pytest.approx(1.0, rel=1e-12)  # both at their maximum
    assert math.isnan(index.iloc[3])


def test_equal_and_pca_weights():
    rng = np.random.default_rng(1)
    common = rng.normal(size=500)
    frame = pd.DataFrame({"a": common + rng.normal(size=500), "b": common + rng.normal(size=500)})
    _, w_eq = composite_index(frame, ["a", "b"], "equal")
    assert w_eq.tolist() == [0.5, 0.5]
    _, w_pca = composite_index(frame, ["a", "b"], "pca")
    # two exchangeable indicators load equally on the first component
    assert w_pca["a"] == pytest.approx(0.5, abs=1e-9)
    assert w_pca.sum() == pytest.approx(1.0)


def test_constant_indicator_is_an_error():
    with pytest.raises(ValueError, match="constant"):
        entropy_weights(pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 3.0]}))
