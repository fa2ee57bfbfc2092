import pandas as pd

from srdi.panel.regions import REGIONS, add_regions, region_of


def test_thirty_one_provinces_in_three_regions():
    assert [len(REGIONS[r]) for r in ("east", "central", "west")] == [11, 8, 12]


def test_region_of_usual_name_forms():
    assert region_of("江苏省") == "east"
    assert region_of("黑龙江省") == "central"
    assert region_of("内蒙古自治区") == "west"
    assert region_of("广西壮族自治区") == "west"
    assert region_of("香港") is None and region_of(None) is None


def test_add_regions_columns():
    out = add_regions(pd.DataFrame({"province": ["北京市", "湖南省", "新疆维吾尔自治区", None]}))
    assert out["region"].tolist()[:3] == ["east", "central", "west"]
    assert out["east"].tolist()[:3] == [1.0, 0.0, 0.0]
    assert pd.isna(out["east"].iloc[3])
