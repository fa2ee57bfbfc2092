"""Base panel on the hand-made raw folder; every expected number is worked out by hand in the comments."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from fixtures.ingest.rawdir import FIRM1, FIRM2, FIRM3, tables, write_raw_dir

from srdi.ingest import IngestError, build_base_panel, classify_partner, ingest_raw, normalize_names

MAPPING = Path(__file__).resolve().parents[1] / "data" / "mappings" / "csmar_fields.yaml"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("panel")
    write_raw_dir(root / "raw")
    ingest_raw(root / "raw", MAPPING, root / "interim")
    panel = build_base_panel(root / "interim", root / "base_panel.parquet")
    return root, panel


@pytest.fixture(scope="module")
def panel(built):
    return built[1].set_index(["stkcd", "year"])


def test_key_unique_sorted_and_written(built):
    root, panel = built
    keys = list(zip(panel.stkcd, panel.year, strict=True))
    assert keys == [(FIRM1, 2019), (FIRM1, 2020), (FIRM1, 2021), (FIRM3, 2020), (FIRM3, 2021),
                    (FIRM2, 2019), (FIRM2, 2021)]
    assert len(set(keys)) == len(keys)
    assert pd.read_parquet(root / "base_panel.parquet").equals(panel)


def test_growth_uses_true_previous_year(panel):
    assert panel.loc[(FIRM1, 2020), "growth"] == pytest.approx(600 / 500 - 1)  # 0.2
    assert panel.loc[(FIRM1, 2021), "growth"] == pytest.approx(750 / 600 - 1)  # 0.25
    assert panel.loc[(FIRM3, 2021), "growth"] == pytest.approx(800 / 400 - 1)  # 1.0
    assert math.isnan(panel.loc[(FIRM1, 2019), "growth"])  # first year
    assert math.isnan(panel.loc[(FIRM2, 2021), "growth"])  # 2020 missing: gap, not the 2019 row


def test_ratios(panel):
    r = panel.loc[(FIRM1, 2020)]
    assert r["lev"] == pytest.approx(600 / 1200)
    assert r["size"] == pytest.approx(math.log(1200))
    assert r["roa"] == pytest.approx(60 / 1200)
    assert r["srdi_spec"] == pytest.approx(540 / 600)
    assert r["srdi_refine"] == pytest.approx(60 / 600)
    assert r["srdi_distinct"] == pytest.approx((600 - 360) / 600)
    assert r["srdi_novel"] == pytest.approx(30 / 600)
    assert r["age"] == pytest.approx(math.log(1 + 2020 - 2000))  # founded 2000-06-01
    assert r["cashflow"] == pytest.approx(60 / 1200)
    assert r["top1"] == pytest.approx(0.305)
    assert r["board"] == pytest.approx(math.log(9))
    assert r["indep"] == pytest.approx(3 / 9)
    assert r["dual"] == 0  # Y1001b = 2 in 2020
    assert panel.loc[(FIRM1, 2019), "dual"] == 1


def test_firm_attributes_and_flags(panel):
    r = panel.loc[(FIRM2, 2021)]
    assert (r["industry_code"], r["industry_sector"], r["province"]) == ("C15", "C", "贵州省")
    assert r["soe"] == 1 and r["st"] == 1  # 国企; *ST in 2021
    assert panel.loc[(FIRM2, 2019), "st"] == 0
    assert r["innov_env"] == 42
    assert panel.loc[(FIRM1, 2020), "innov_env"] == 82


def test_srdi_designated_from_batch_year(panel):
    assert panel.loc[(FIRM3, 2020), "srdi_designated"] == 0  # designated 2021
    assert panel.loc[(FIRM3, 2021), "srdi_designated"] == 1
    assert panel.loc[[(FIRM1, y) for y in (2019, 2020, 2021)], "srdi_designated"].tolist() == [1, 1, 1]
    assert panel.loc[[(FIRM2, 2019), (FIRM2, 2021)], "srdi_designated"].tolist() == [0, 0]  # never


def test_ci_collab_hand_example(panel):
    # 000001 in 2020: one patent with 清华大学, one with 国家电网 (large), one solo
    r = panel.loc[(FIRM1, 2020)]
    assert (r["n_patents"], r["n_invention"]) == (3, 2)
    assert (r["n_joint_large"], r["n_joint_univ"], r["n_joint_inst"]) == (1, 1, 0)
    assert r["n_joint"] == 2 and r["ci_collab"] == pytest.approx(math.log(3))
    # 000001 in 2021: one design patent with 中国科学院 (institute, not university)
    assert panel.loc[(FIRM1, 2021), "n_joint_inst"] == 1
    assert panel.loc[(FIRM1, 2021), "ci_collab"] == pytest.approx(math.log(2))
    # 600519 in 2019: one patent with 贵州大学 + 中国科学院 (counts once), one solo; the firm itself is
    # on the large-enterprise list but is not its own co-applicant
    r = panel.loc[(FIRM2, 2019)]
    assert (r["n_patents"], r["n_joint"], r["n_joint_univ"], r["n_joint_inst"], r["n_joint_large"]) == (
        2, 1, 1, 1, 0)
    # no applications -> 0, not missing
    assert panel.loc[(FIRM3, 2020), "n_patents"] == 0 and panel.loc[(FIRM3, 2020), "ci_collab"] == 0.0


def test_ci_chain_hand_example(panel):
    # 000001 2020 customers: 国家电网 20% (large), 某某贸易 10%, 比亚迪 (spaced) 5% (large)
    # suppliers: 华为 30% (large), 某某材料 20%
    r = panel.loc[(FIRM1, 2020)]
    assert r["cust_top5"] == pytest.approx(0.35) and r["cust_large_share"] == pytest.approx(0.25)
    assert r["supp_top5"] == pytest.approx(0.50) and r["supp_large_share"] == pytest.approx(0.30)
    assert r["ci_chain"] == pytest.approx((0.25 + 0.30) / 2)
    # 600519 2019: customers only, none large -> 0 from the one table present
    assert panel.loc[(FIRM2, 2019), "ci_chain"] == 0.0
    assert math.isnan(panel.loc[(FIRM2, 2019), "supp_top5"])
    assert math.isnan(panel.loc[(FIRM1, 2019), "ci_chain"])  # neither table


def test_panel_rejects_duplicate_keys(tmp_path):
    t = tables()
    write_raw_dir(tmp_path / "raw", t)
    ingest_raw(tmp_path / "raw", MAPPING, tmp_path / "interim")
    bal = pd.read_parquet(tmp_path / "interim" / "balance.parquet")
    pd.concat([bal, bal.iloc[[0]]]).to_parquet(tmp_path / "interim" / "balance.parquet", index=False)
    with pytest.raises(IngestError, match=r"Base panel failed.*\n.*balance\.parquet.*duplicate stkcd/year.*"
                       r"row 1: \('000001', '2019'\); row 8"):
        build_base_panel(tmp_path / "interim", tmp_path / "p.parquet")
    assert not (tmp_path / "p.parquet").exists()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("国家电网有限公司", "large"),
        ("国家电网 有限公司", "large"),
        ("清华大学", "university"),
        ("北京理工学院", "university"),
        ("中国科学院", "institute"),
        ("中国科学院大学", "university"),
        ("上海电子研究所", "institute"),
        ("某某材料有限公司", "other"),
        ("", "other"),
        (None, "other"),
    ],
)
def test_classify_partner(name, expected):
    assert classify_partner(name, normalize_names(["国家电网有限公司"])) == expected


def test_partner_shares_equal_pandas_groupby_sums_bit_for_bit():
    """The vectorised sums add in pandas' order: the same bits, missing shares and 8+ partners included."""
    import numpy as np
    import pandas as pd

    from srdi.ingest.panel import partner_shares

    rng = np.random.default_rng(3)
    n = 4000
    names = rng.choice(["国家电网有限公司", "某某大学", "x"], n)
    partners = pd.DataFrame({"stkcd": [f"{i:06d}" for i in rng.integers(1, 300, n)],
                             "year": rng.integers(2011, 2024, n), "rank": rng.integers(1, 6, n),
                             "partner_name": names, "share": rng.random(n) / 7})  # fmt: skip
    partners.loc[rng.random(n) < 0.1, "share"] = np.nan
    large = frozenset({"国家电网有限公司"})

    def reference(frame):
        top = frame.loc[frame["rank"] <= 5].copy()
        top["large_part"] = top["share"].where(top["partner_name"] == "国家电网有限公司", 0.0)
        return top.groupby(["stkcd", "year"], as_index=False).agg(
            p_top5=("share", lambda s: s.sum(min_count=1)), p_large_share=("large_part", lambda s: s.sum(min_count=1))
        ).astype({"year": "int64"})

    crowded = partners.assign(stkcd=partners["stkcd"].str[-1])  # ~30 rows per firm-year: pandas' pairwise sums
    for frame in (partners.drop_duplicates(["stkcd", "year", "rank"]), partners, crowded):
        pd.testing.assert_frame_equal(partner_shares(frame, large, "p"), reference(frame), check_exact=True)
