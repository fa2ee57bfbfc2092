import numpy as np
import pandas as pd

from srdi.sample import SampleRules, construct_sample


def _panel() -> pd.DataFrame:
    return pd.DataFrame({
        "stkcd": ["000001", "000001", "000002", "000002", "600000", "600000"],
        "year": [2020, 2021, 2020, 2021, 2020, 2021],
        "industry_sector": ["C", "C", "C", "C", "J", "J"],
        "st": [0, 1, 0, 0, 0, 0],
        "lev": [0.5, 0.6, 1.2, 0.4, 0.9, 0.9],
        "y": [1.0, 2.0, 3.0, np.nan, 5.0, 6.0],
    })


def test_each_step_counts_its_removals_and_rows_are_flagged_not_deleted():
    out, table = construct_sample(_panel(), SampleRules(require=("y",)))
    assert len(out) == 6
    # finance removes the two 600000 rows; ST removes 000001/2021; Lev>1 removes 000002/2020;
    # missing y removes 000002/2021 -> one row left (000001/2020).
    assert table["removed"].tolist() == [0, 2, 1, 1, 1]
    assert table["observations"].tolist() == [6, 4, 3, 2, 1]
    assert out.loc[out["in_sample"], ["stkcd", "year"]].values.tolist() == [["000001", 2020]]


def test_switches_off_keep_rows():
    out, table = construct_sample(_panel(), SampleRules(drop_finance=False, drop_st=False, drop_insolvent=False))
    assert out["in_sample"].all()
    assert len(table) == 1


def test_winsorize_bounds_from_sample_applied_to_all_rows():
    panel = pd.DataFrame({"stkcd": [f"{i:06d}" for i in range(101)], "year": 2020,
                          "industry_sector": ["C"] * 100 + ["J"], "st": 0, "lev": 0.5,
                          "x": [*list(range(100)), 1000.0]})
    out, _ = construct_sample(panel, SampleRules(winsorize=("x",)))
    # sample is 0..99: 1% quantile = 0.99, 99% quantile = 98.01 (linear interpolation)
    assert out["x"].iloc[0] == 0.99
    assert abs(out["x"].iloc[99] - 98.01) < 1e-12
    assert abs(out["x"].iloc[100] - 98.01) < 1e-12  # the excluded financial firm is clipped with the same bounds
