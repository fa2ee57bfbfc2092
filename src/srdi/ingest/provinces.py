"""One spelling per province, so tables that write 江苏 and 江苏省 (or 广西 and 广西壮族自治区) join.

Rule: a name whose stripped, NFKC-normalised text starts with a province's short name (江苏, 内蒙古, 新疆 ...)
becomes that province's full official name (江苏省, 内蒙古自治区, 新疆维吾尔自治区); other names (Hong Kong,
a foreign country, a typo) are kept as written and counted, so they never join the wrong province.
"""

from __future__ import annotations

import unicodedata

import pandas as pd

FULL_NAMES: tuple[str, ...] = (
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市", "江苏省",
    "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区",
    "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省",
    "宁夏回族自治区", "新疆维吾尔自治区",
)
_SHORT = {name: name[:3] if name.startswith(("内蒙古", "黑龙江")) else name[:2] for name in FULL_NAMES}


def canonical_province(name: object) -> object:
    """'江苏' / '江苏省' / ' 江苏省 ' -> '江苏省'; unknown names stripped but otherwise unchanged."""
    if not isinstance(name, str):
        return name
    text = unicodedata.normalize("NFKC", name).strip()
    for full, short in _SHORT.items():
        if text.startswith(short):
            return full
    return text


def canonical_provinces(series: pd.Series) -> tuple[pd.Series, int]:
    """Canonical names of a column (mapped once per distinct value) and how many filled cells are unknown."""
    uniq = {v: canonical_province(v) for v in pd.unique(series.dropna())}
    out = series.map(uniq).astype(object).where(series.notna(), None)
    unknown = int(out.notna().sum() - out.isin(FULL_NAMES).sum())
    return out, unknown
