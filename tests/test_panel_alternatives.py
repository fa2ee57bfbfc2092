import math

import pandas as pd

from srdi.panel.build import add_alternative_dimensions


def test_alternative_dimensions_by_hand():
    panel = pd.DataFrame({
        "industry_code": ["C39", "C39", "C39", "I65"],
        "year": [2020, 2020, 2021, 2020],
        "revenue": [30.0, 10.0, 50.0, 8.0],
        "total_assets": [60.0, 0.0, 100.0, 16.0],
        "n_invention": [0, 3, 1, 0],
    })
    out = add_alternative_dimensions(panel)
    assert out["srdi_refine_turnover"].iloc[0] == 0.5
    assert math.isnan(out["srdi_refine_turnover"].iloc[1])  # no assets: no turnover
    assert out["srdi_distinct_share"].tolist() == [0.75, 0.25, 1.0, 1.0]
    assert out["srdi_novel_pat"].iloc[1] == math.log(4)
