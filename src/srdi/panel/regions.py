"""China's three economic regions (National Bureau of Statistics: 东部 11, 中部 8, 西部 12 provinces), the
region split of this literature's heterogeneity analyses."""

from __future__ import annotations

import pandas as pd

REGIONS: dict[str, tuple[str, ...]] = {
    "east": ("北京", "天津", "河北", "辽宁", "上海", "江苏", "浙江", "福建", "山东", "广东", "海南"),
    "central": ("山西", "吉林", "黑龙江", "安徽", "江西", "河南", "湖北", "湖南"),
    "west": ("内蒙古", "广西", "重庆", "四川", "贵州", "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆"),
}
_BY_PREFIX = {prefix: region for region, names in REGIONS.items() for prefix in names}


def region_of(province: object) -> str | None:
    """Region of a province name in any usual form (江苏, 江苏省, 内蒙古自治区); None if not a province."""
    if not isinstance(province, str):
        return None
    for prefix, region in _BY_PREFIX.items():
        if province.strip().startswith(prefix):
            return region
    return None


def add_regions(panel: pd.DataFrame) -> pd.DataFrame:
    """`region` (east / central / west) and `east` (1 for the eastern region) from `province`."""
    out = panel.copy()
    out["region"] = out["province"].map(region_of)
    out["east"] = out["region"].map({"east": 1.0, "central": 0.0, "west": 0.0})
    return out
