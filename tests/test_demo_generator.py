"""The demo generator: contract files, determinism, exact truth (ratios, proxies, planted keyword counts)."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from srdi.demo import folder, generate_demo
from srdi.demo import generate as gen
from srdi.demo import keywords as kw
from srdi.demo.dgp import simulate
from srdi.demo.firms import make_firms
from srdi.demo.params import all_params
from srdi.demo.scales import get_scale

THREE_ROW = {  # file -> encoding
    "TRD_Co.csv": "gb18030",
    "FS_Combas.csv": "gb18030",
    "FS_Comins.csv": "gb18030",
    "FS_Comscfd.csv": "utf-8",
    "FN_MainBusiness.csv": "utf-8",
    "CG_Ybasic.csv": "utf-8",
}
ONE_ROW = {
    "STK_STInfo.csv": "Stkcd,ShortName,Annoudt,Execudt,Chgtype",
    "FN_TopCusSup.csv": "Stkcd,Accper,CusSupType,Rank,PartnerName,Amount,Ratio",
    "CNRDS_Patent.csv": "Stkcd,AppNo,AppDate,PatentType,Applicants",
    "SRDI_LittleGiants.csv": "企业名称,省份,批次,BatchYear,RevokeYear",
    "Province_InnovEnv.csv": "Province,ReportYear,InnovEnv",
    "PT_LCRDSPENDING.csv": "证券代码,会计期间,研发投入金额,费用化研发投入,资本化研发投入",
    "STK_LISTEDCOINFOANL.csv": "Symbol,ShortName,EndDate,IndustryCode,IndustryName,PROVINCE,EquityNature",
    "FN_Subsidiary.csv": "Stkcd,SubsidiaryName,HoldingRatio",
    "LargeEnterprises.csv": "Name,Category",
}
FIRST_CODES = {
    "TRD_Co.csv": "Stkcd,Stknme,Conme,Nnindcd,Nnindnme,PROVINCE,Estbdt,Listdt,Delistdt",
    "FS_Combas.csv": "Stkcd,ShortName,Accper,Typrep,A001000000,A002000000,A001212000,A001218000",
    "FS_Comins.csv": "Stkcd,ShortName,Accper,Typrep,B001101000,B001201000,B001209000,B001210000,B001216000,"
                     "B002000000",
    "FS_Comscfd.csv": "Stkcd,ShortName,Accper,Typrep,C001000000",
    "FN_MainBusiness.csv": "Stkcd,Accper,Typrep,Fn05401",
    "CG_Ybasic.csv": "Stkcd,Reptdt,Y0601b,Y1001b,Y1101a,Y1101b,Shrcr1",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "raw"
    generate_demo(out, scale="tiny", seed=20250403)
    return out


def at(demo: Path, name: str) -> Path:
    """The file, or the first of a table split by year range (FS_Comins_2015-2019_20250403.csv)."""
    path = demo / name
    return path if path.exists() else sorted(demo.glob(name.replace(".csv", "_*.csv")))[0]


def read3(path: Path, encoding: str) -> pd.DataFrame:
    return pd.read_csv(path, skiprows=[1, 2], dtype={"Stkcd": str}, encoding=encoding)


def read1(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"Stkcd": str, "Symbol": str}, encoding="utf-8", keep_default_na=False,
                       na_values=[""])


@pytest.fixture(scope="module")
def latent(demo: Path) -> pd.DataFrame:
    return pd.read_parquet(demo / "truth_latent.parquet")


# ---------------------------------------------------------------- files, layout, encodings


def test_every_contract_file_exists_with_its_header_layout(demo: Path) -> None:
    for name, enc in THREE_ROW.items():
        raw = at(demo, name).read_bytes()
        if enc == "utf-8" and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        text = raw.decode(enc)
        rows = text.split("\n")
        assert rows[0] == FIRST_CODES[name], name
        assert any("\u4e00" <= ch <= "\u9fff" for ch in rows[1]), name  # Chinese labels
        assert "没有单位" in rows[2], name
        if enc == "gb18030":
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
    assert "元" in (at(demo, "FS_Comins.csv")).read_bytes().decode("gb18030").split("\n")[2]
    for name, header in ONE_ROW.items():
        assert (demo / name).read_text(encoding="utf-8").split("\n")[0] == header, name
    xlsx = pd.read_excel(demo / "EN_EquityNatureAll.xlsx", dtype={"Symbol": str})
    assert list(xlsx.columns) == ["Symbol", "EndDate", "EquityNature"]
    assert {"国企", "民营", "外资", "其他"} <= set(xlsx["EquityNature"])  # plus combined values (国家,央企)
    assert (demo / "truth.json").exists() and (demo / "manifest.json").exists()
    assert len(list((demo / "mdna").glob("*_*.txt"))) > 0


def test_stock_codes_are_six_digit_strings(demo: Path) -> None:
    firms = read3(demo / "TRD_Co.csv", "gb18030")
    assert firms["Stkcd"].str.fullmatch(r"\d{6}").all()
    assert firms["Stkcd"].is_unique
    assert set(firms["Stkcd"].str[:3]) <= {"000", "001", "002", "003", "004", "005", "300", "301",
                                          "600", "601", "602", "603", "605", "688", "689"}
    assert (pd.to_datetime(firms["Estbdt"]) < pd.to_datetime(firms["Listdt"])).all()
    for name in ("FN_TopCusSup.csv", "CNRDS_Patent.csv", "STK_STInfo.csv"):
        assert read1(demo / name)["Stkcd"].str.fullmatch(r"\d{6}").all()


def test_statements_have_parent_rows_quarters_and_opening_balances(demo: Path) -> None:
    bal = read3(at(demo, "FS_Combas.csv"), "gb18030")
    assert {"A", "B"} == set(bal["Typrep"])
    assert {"01-01", "03-31", "06-30", "09-30", "12-31"} == set(bal["Accper"].str[5:])
    inc = read3(at(demo, "FS_Comins.csv"), "gb18030")
    assert {"03-31", "06-30", "09-30", "12-31"} == set(inc["Accper"].str[5:])
    annual = bal[(bal["Typrep"] == "A") & bal["Accper"].str.endswith("12-31")]
    assert annual["A001000000"].between(5e7, 1e12).all()
    assert not annual.duplicated(["Stkcd", "Accper"]).any()


def test_sample_filter_cases_exist(demo: Path) -> None:
    firms = read3(demo / "TRD_Co.csv", "gb18030")
    assert firms["Nnindcd"].str.fullmatch(r"[A-S]\d\d").all()
    assert firms["Nnindcd"].isin(["J66", "J67", "J68", "J69"]).any()
    assert firms["Delistdt"].notna().any()
    st = read1(demo / "STK_STInfo.csv")
    assert {"ST", "*ST"} <= set(st["Chgtype"])
    desig = read1(demo / "SRDI_LittleGiants.csv")
    assert desig["BatchYear"].between(2019, 2023).all() and (desig["批次"] == desig["BatchYear"] - 2018).all()


def test_default_scale_proportions() -> None:
    """Filter cases at the default scale, from the DGP alone (no files: fast)."""
    sc = get_scale("default")
    streams = gen._streams(20250403)
    sim = simulate(streams, sc, make_firms(streams["firms"], sc), all_params())
    w = sim.written
    assert sim.firms["Stkcd"].is_unique and sim.firms["Stknme"].is_unique
    assert 0.02 < sim.firms["is_finance"].mean() < 0.07
    assert 0.02 < (sim.a["st"][w] != "").mean() < 0.10
    assert 0.0005 < (sim.a["lev"][w] > 1).mean() < 0.01
    assert 0.03 < 1 - sim.a["has_report"][w].mean() < 0.07
    assert 0.15 < (sim.a["batch_year"][:, 0] > 0).mean() < 0.35
    assert max(sim.clipped_share.values()) < 0.02
    years_per_firm = w.sum(axis=1)
    assert (years_per_firm < len(sc.years)).mean() > 0.3  # unbalanced panel
    assert np.median(sim.a["total_assets"][w]) > 5e8


# ---------------------------------------------------------------- determinism and atomicity


def _all_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_bytes_and_other_seed_differs(demo: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    manifest = generate_demo(again, scale="tiny", seed=20250403)
    assert _all_bytes(again) == _all_bytes(demo)
    assert manifest == json.loads((demo / "manifest.json").read_text(encoding="utf-8"))
    other = tmp_path / "other"
    generate_demo(other, scale="tiny", seed=7)
    for name in ("TRD_Co.csv", "CNRDS_Patent.csv", "truth_latent.parquet"):
        assert (other / name).read_bytes() != (demo / name).read_bytes(), name


def test_manifest_lists_every_file_with_hash(demo: Path) -> None:
    manifest = json.loads((demo / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"] for f in manifest["files"]}
    on_disk = {k for k in _all_bytes(demo) if k not in ("manifest.json", folder.OWNER_RECORD)}
    assert listed == on_disk
    for f in manifest["files"][:20]:
        assert hashlib.sha256((demo / f["path"]).read_bytes()).hexdigest() == f["sha256"]


def test_crash_leaves_old_output_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "raw"
    out.mkdir()
    (out / "old.txt").write_text("old", encoding="utf-8")
    # an earlier demo's folder (its ownership record lists its files), which generate_demo may replace
    (out / folder.OWNER_RECORD).write_text(json.dumps({"generator": folder.GENERATOR,
                                                    "files": ["old.txt", folder.OWNER_RECORD]}), encoding="utf-8")

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(gen, "_write_texts", boom)
    with pytest.raises(RuntimeError):
        generate_demo(out, scale="tiny")
    assert [p.name for p in tmp_path.iterdir()] == ["raw"]
    assert (out / "old.txt").read_text(encoding="utf-8") == "old"


# ---------------------------------------------------------------- truth is exact


def test_truth_json_records_parameters_with_estimands(demo: Path) -> None:
    truth = json.loads((demo / "truth.json").read_text(encoding="utf-8"))
    assert truth["seed"] == 20250403 and truth["scale"] == "tiny" and truth["years"][0] == 2015
    p = truth["parameters"]
    for name in ("beta_spec_collab", "beta_refine_data", "beta_distinct_chain", "beta_novel_eco",
                 "a_digital_cbar", "delta_spec_collab_x_env", "desig_coinnov"):
        assert p[name]["value"] > 0 and p[name]["outcome"] and p[name]["term"], name
    assert p["beta_spec_collab"]["lag"] == 1 and p["beta_spec_collab"]["fixed_effects"] == "firm + year"
    assert set(truth["cbar_scale"]) == {"collab", "data", "chain", "eco"}
    hyps = {e["hypothesis"] for e in truth["estimands"]}
    assert {"H2", "H3-a", "H3-b", "H3-indirect", "H4", "H1-designation"} <= hyps
    assert all(e["value"] > 0 for e in truth["estimands"])
    assert 0.0 < truth["shares"]["missing_report"] < 0.2
    assert truth["latent_columns"] == list(pd.read_parquet(demo / "truth_latent.parquet").columns)


def test_designation_effect_is_planted_exactly_as_truth_json_states(demo: Path, latent: pd.DataFrame) -> None:
    """Each firm-year's effect is tau_g(t - g) = a_g + b (t - g) from g on, 0 before (rebuilt from truth.json's
    numbers, not the generator's function), on top of the untreated outcome; the aggregates are its means."""
    did = json.loads((demo / "truth.json").read_text(encoding="utf-8"))["did"]
    g, year = latent["batch_year"].to_numpy(), latent["year"].to_numpy()
    post = (g > 0) & (year >= g)
    a_g = np.array([did["tau_a"].get(str(c), 0.0) for c in g])
    tau = np.where(post, a_g + did["tau_b"] * (year - g), 0.0)
    assert post.any() and (tau[post] > 0).any() and (tau[~post] == 0).all()
    np.testing.assert_allclose(latent["desig_tau"], tau, rtol=0, atol=1e-15)
    for col, load in did["loadings"].items():
        np.testing.assert_allclose(latent[col] - latent[f"{col}_untreated"], load * tau, rtol=0, atol=1e-12)
    cells = {(r["cohort"], r["year"]): r["tau"] for r in did["att_gt"]}
    assert all(cells[(int(c), int(y))] == pytest.approx(x) for c, y, x in zip(g[post], year[post], tau[post],
                                                                                  strict=True))
    # every designated firm has an untreated written year, so no treated firm-year is left out of an estimator
    first_seen = latent.groupby("Stkcd")["year"].transform("min").to_numpy()
    assert (first_seen[g > 0] < g[g > 0]).all()
    n_years = latent.groupby("Stkcd")["year"].transform("size").to_numpy()
    for name, rows in (("all_treated", post), ("balanced", post & (n_years == len(truth_years(demo))))):
        pop = did["populations"][name]
        assert pop["n_treated_firm_years"] == rows.sum() > 0
        assert pop["overall"]["tau"] == pytest.approx(tau[rows].mean(), abs=1e-12)
        for e, value in pop["dynamic"].items():
            assert value["tau"] == pytest.approx(tau[rows & (year - g == int(e))].mean(), abs=1e-12)


def truth_years(demo: Path) -> list[int]:
    return json.loads((demo / "truth.json").read_text(encoding="utf-8"))["years"]


def test_statement_ratios_equal_latent_srdi(demo: Path, latent: pd.DataFrame) -> None:
    parts = [read3(f, "gb18030") for f in sorted(demo.glob("FS_Comins_*.csv"))]  # 2nd file: lower-case codes
    inc = pd.concat([p.set_axis(parts[0].columns, axis=1) for p in parts])
    inc["Stkcd"] = inc["Stkcd"].astype(str).str.zfill(6)  # 'stkcd' of the lower-cased file read as a number
    inc = inc.drop_duplicates()  # the overlap year is in both files
    inc = inc[(inc["Typrep"] == "A") & inc["Accper"].str.endswith("12-31")]
    rd = pd.read_csv(demo / "PT_LCRDSPENDING.csv", dtype={"证券代码": str}).rename(
        columns={"证券代码": "Stkcd", "会计期间": "Accper"})
    inc = inc.merge(rd[["Stkcd", "Accper", "费用化研发投入"]], on=["Stkcd", "Accper"], how="left", validate="1:1")
    assert inc.loc[inc["Accper"] < "2018", "B001216000"].isna().all()  # no statement line before 2018
    inc["B001216000"] = inc["B001216000"].fillna(inc["费用化研发投入"])
    mb = read3(demo / "FN_MainBusiness.csv", "utf-8")
    mb = mb[(mb["Typrep"] == "A") & mb["Accper"].str.endswith("12-31")]
    df = inc.merge(mb[["Stkcd", "Accper", "Fn05401"]], on=["Stkcd", "Accper"], validate="1:1")
    df["year"] = df["Accper"].str[:4].astype(int)
    df = df.merge(latent, on=["Stkcd", "year"], validate="1:1")
    assert len(df) == len(latent)
    rev = df["B001101000"]
    np.testing.assert_allclose(df["Fn05401"] / rev, df["srdi_spec"], atol=1e-6)
    np.testing.assert_allclose(df["B002000000"] / rev, df["srdi_refine"], atol=1e-6)
    np.testing.assert_allclose((rev - df["B001201000"]) / rev, df["srdi_distinct"], atol=1e-6)
    np.testing.assert_allclose(df["B001216000"] / rev, df["srdi_novel"], atol=1e-6)


def test_chain_and_collab_proxies_rebuild_from_files(demo: Path, latent: pd.DataFrame) -> None:
    # Names are messy (branches, former names, 及其关联方, own subsidiaries): classified by the documented rules
    # (srdi.ingest.partners, tested name by name in tests/test_partner_match.py).
    from srdi.ingest.partners import PartnerMatcher, is_own_affiliate, own_affiliate_keys, read_aliases

    matcher = PartnerMatcher(read1(demo / "LargeEnterprises.csv")["Name"], read_aliases())
    shares = []
    top5 = read1(demo / "FN_TopCusSup.csv")
    assert set(top5["CusSupType"]) == {"客户", "供应商"}
    for kind in ("客户", "供应商"):
        t = top5.loc[top5["CusSupType"] == kind].copy()
        t["year"] = t["Accper"].str[:4].astype(int)
        total = t["Rank"].isna()
        assert (t.loc[total, "PartnerName"] == f"前五名{kind}合计").all()
        assert (t.loc[total].groupby(["Stkcd", "year"]).size() == 1).all()  # one total row per firm-year
        ranks = t.loc[~total]
        sums = ranks.groupby(["Stkcd", "year"])["Ratio"].sum()
        assert (sums <= 100).all()
        totals = t.loc[total].set_index(["Stkcd", "year"])["Ratio"]
        np.testing.assert_allclose(totals.loc[sums.index], sums, atol=0.006)  # the total row is their sum
        cls = t["PartnerName"].map(lambda n: matcher.match(n).cls)
        t["x"] = np.where(cls == "large", t["Ratio"], 0.0)
        t["named"] = cls.isin(["large", "other"])
        g = t.groupby(["Stkcd", "year"])
        shares.append((g["x"].sum() / 100.0).where(g["named"].any()))
    chain = ((shares[0] + shares[1]) / 2).rename("chain").reset_index()
    m = latent.merge(chain, on=["Stkcd", "year"], validate="1:1")
    undisclosed = m["chain"].isna()
    assert 0.03 < undisclosed.mean() < 0.15  # aggregate-only firm-years (AGGREGATE_ONLY = 8%)
    np.testing.assert_allclose(m.loc[~undisclosed, "chain"], m.loc[~undisclosed, "ci_chain"], atol=1e-9)

    pat = read1(demo / "CNRDS_Patent.csv")
    assert pat["AppNo"].str.fullmatch(r"(CN)?\d{12}\.[\dX]").all() and pat["AppNo"].is_unique
    assert set(pat["PatentType"]) == {"发明", "实用新型", "外观设计"}
    co = read3(demo / "TRD_Co.csv", "gb18030").set_index("Stkcd")
    keys = {s: own_affiliate_keys(c, n) for s, c, n in zip(co.index, co["Conme"], co["Stknme"], strict=True)}

    def qualifies(stkcd: str, applicants: str) -> bool:
        others = [o for o in applicants.split(";")[1:] if not is_own_affiliate(o, keys[stkcd])]
        return any(matcher.match(o).cls in ("large", "university", "institute") for o in others)

    def own(stkcd: str, applicants: str) -> bool:
        return any(is_own_affiliate(o, keys[stkcd]) for o in applicants.split(";")[1:])

    pat["year"] = pat["AppDate"].str[:4].astype(int)
    pat["q"] = [qualifies(s, a) for s, a in zip(pat["Stkcd"], pat["Applicants"], strict=True)]
    pat["own"] = [own(s, a) for s, a in zip(pat["Stkcd"], pat["Applicants"], strict=True)]
    joint = pat.groupby(["Stkcd", "year"])["q"].sum().rename("nq").reset_index()
    m = latent.merge(joint, on=["Stkcd", "year"], how="left").fillna({"nq": 0})
    np.testing.assert_array_equal(m["nq"].to_numpy(), m["n_collab"].to_numpy())
    np.testing.assert_allclose(np.log1p(m["nq"]), m["ci_collab"], atol=1e-12)
    assert pat["own"].sum() > pat["q"].sum()  # co-filings with own subsidiaries dominate joint applications
    assert (pat["Applicants"].str.split(";").str[0] == pat["Stkcd"].map(co["Conme"])).all()


def _leftmost_longest(text: str, terms: tuple[str, ...]) -> list[tuple[int, str]]:
    """Independent reference counter: scan left to right, take the longest term starting here, skip it."""
    by_first: dict[str, list[str]] = {}
    for t in sorted(terms, key=len, reverse=True):
        by_first.setdefault(t[0], []).append(t)
    hits, i = [], 0
    while i < len(text):
        match = next((t for t in by_first.get(text[i], []) if text.startswith(t, i)), None)
        if match:
            hits.append((i, match))
            i += len(match)
        else:
            i += 1
    return hits


def _split_counts(text: str, terms: tuple[str, ...]) -> tuple[int, int, list[str]]:
    pos, neg, pos_terms = 0, 0, []
    for i, term in _leftmost_longest(text, terms):
        start = max(text.rfind(d, 0, i) for d in kw.SENTENCE_DELIMITERS) + 1
        if any(c in text[start:i] for c in kw.NEGATION_CUES):
            neg += 1
        else:
            pos += 1
            pos_terms.append(term)
    return pos, neg, pos_terms


def _chosen_texts(demo: Path) -> dict[tuple[str, int], str]:
    """The version the text stage counts per firm-year, repaired (versions and repair: tests/test_text_repair.py)."""
    from srdi.text.repair import repair
    from srdi.text.versions import choose_versions

    chosen, dropped, bad = choose_versions(sorted((demo / "mdna").glob("*.txt")))
    assert dropped and not bad  # summaries, English versions, corrected originals
    return {(v.stkcd, v.year): repair(v.path.read_text(encoding="utf-8"), v.year)[0] for v in chosen}


def test_planted_keyword_counts_match_a_reference_counter(demo: Path, latent: pd.DataFrame) -> None:
    texts = _chosen_texts(demo)
    with_report = latent[latent["has_report"]]
    assert set(texts) == set(zip(with_report["Stkcd"], with_report["year"], strict=True))
    assert (~latent["has_report"]).any()
    group_of = {t: lab for lab, (_, terms) in zip(kw.DT_GROUP_LABELS, kw.DT_GROUPS, strict=True) for t in terms}
    for row in with_report.itertuples():
        text = texts[(row.Stkcd, row.year)]
        dt_pos, dt_neg, dt_terms = _split_counts(text, kw.DT_TERMS)
        assert (dt_pos, dt_neg) == (row.n_dt_pos, row.n_dt_neg)
        for lab in kw.DT_GROUP_LABELS:
            assert sum(group_of[t] == lab for t in dt_terms) == getattr(row, f"n_dt_pos_{lab}")
        assert _split_counts(text, kw.CI_DATA_TERMS)[:2] == (row.n_data_pos, row.n_data_neg)
        assert _split_counts(text, kw.CI_ECO_TERMS)[:2] == (row.n_eco_pos, row.n_eco_neg)
        assert np.isclose(np.log1p(dt_pos), row.digital)
        assert 600 <= len(text) <= 8000  # short demo texts: the whole report


def test_output_reader_round_trip_of_xlsx_is_stable(demo: Path) -> None:
    raw = (demo / "EN_EquityNatureAll.xlsx").read_bytes()
    frame = pd.read_excel(io.BytesIO(raw), dtype={"Symbol": str})
    assert frame["Symbol"].str.fullmatch(r"\d{6}").all()


# ---------------------------------------------------------------- agreement with the project's text stage

DICT_DIR = Path(__file__).resolve().parents[1] / "data" / "dictionaries"
DICT_FILES = {"digital": "digital_wu2021.yaml", "ci_data": "coinnov_data.yaml", "ci_eco": "coinnov_eco.yaml"}


def _shipped_dictionaries() -> dict:
    text = pytest.importorskip("srdi.text")
    if not all((DICT_DIR / f).exists() for f in DICT_FILES.values()):
        pytest.skip("shipped dictionaries not present")
    return {k: text.load_dictionary(DICT_DIR / f) for k, f in DICT_FILES.items()}


def test_demo_terms_equal_the_shipped_dictionaries() -> None:
    d = _shipped_dictionaries()
    assert [(g.gid, tuple(g.terms)) for g in d["digital"].groups] == [
        (gid, terms) for gid, (_, terms) in zip(kw.DT_GROUP_LABELS, kw.DT_GROUPS, strict=True)
    ]
    assert tuple(t for g in d["ci_data"].groups for t in g.terms) == kw.CI_DATA_TERMS
    assert tuple(t for g in d["ci_eco"].groups for t in g.terms) == kw.CI_ECO_TERMS


def test_text_stage_counts_equal_planted_truth(demo: Path, latent: pd.DataFrame) -> None:
    d = _shipped_dictionaries()
    from srdi.text import TextCounter

    counter = TextCounter(d)
    texts = _chosen_texts(demo)
    for row in latent[latent["has_report"]].itertuples():
        c = counter.count(texts[(row.Stkcd, row.year)])
        assert (c["dt_total"], c["dt_neg"]) == (row.n_dt_pos, row.n_dt_neg)
        for lab in kw.DT_GROUP_LABELS:
            assert c[f"dt_{lab}"] == getattr(row, f"n_dt_pos_{lab}")
        assert (c["ci_data_total"], c["ci_data_neg"]) == (row.n_data_pos, row.n_data_neg)
        assert (c["ci_eco_total"], c["ci_eco_neg"]) == (row.n_eco_pos, row.n_eco_neg)
