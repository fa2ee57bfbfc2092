"""Issue 14, ingest stage: numeric casts and stock-code padding are vectorised, with results identical to the
cell-by-cell parsers they replace (benchmarks/results/ingest.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from srdi.ingest import parsing
from srdi.ingest.parsing import is_nonfinite, pad_code, pad_codes, to_number


def _reference(cells: list[str | None]) -> np.ndarray:
    return pd.to_numeric(pd.Series(cells, dtype="str"), errors="coerce").astype("float64").to_numpy()


def test_a_clean_numeric_column_is_cast_without_the_pandas_parser(monkeypatch):
    cells = pd.Series(["1", "2.5", None, "-3e4", "1e400"], dtype="str")
    monkeypatch.setattr(parsing.pd, "to_numeric", lambda *a, **k: pytest.fail("cell-by-cell parser used"))
    got = to_number(cells)
    assert got.iloc[[0, 1, 3]].tolist() == [1.0, 2.5, -3e4] and np.isnan(got.iloc[2]) and np.isinf(got.iloc[4])


@pytest.mark.parametrize("cells", [
    ["0.1", "123456789.123456789", "1e-320", "1.7976931348623157e308", "00012", "1.", ".5", "+5", None],
    ["-0", "1"],  # an all-integer column: pandas gives +0.0
    ["-0", "1.5"],  # a mixed column: pandas keeps -0.0
    ["12", "１２", "3"],  # full-width digits do not parse (pandas' rule)
    [" 1", "2"], ["inf", "-Infinity", "nan", "NaN", "x", "0x1A", "1_000"],
])
def test_to_number_equals_the_pandas_parser_bit_for_bit(cells):
    got, ref = to_number(pd.Series(cells, dtype="str")).to_numpy(), _reference(cells)
    assert np.array_equal(got, ref, equal_nan=True) and (np.signbit(got) == np.signbit(ref)).all()


def test_to_number_on_many_random_decimals_is_bit_identical():
    rng = np.random.default_rng(7)
    x = (rng.normal(0, 1, 20_000) * 10.0 ** rng.integers(-12, 15, 20_000)).tolist()
    cells = [repr(v) for v in x] + [f"{v:.2f}" for v in x] + [f"{v:.17g}" for v in x]
    assert (to_number(pd.Series(cells, dtype="str")).to_numpy().view("i8") == _reference(cells).view("i8")).all()


def test_is_nonfinite_names_every_spelling():
    s = pd.Series(["inf", " -INF ", "Infinity", "nan", "+NaN", "1e400", "1", None, "x"], dtype="str")
    assert is_nonfinite(s).tolist() == [True, True, True, True, True, True, False, False, False]


def test_pad_codes_equals_pad_code_cell_by_cell():
    cells = ["000001", "1", "1.0", "600519.SH", "300750.sz", "12345", "ABC", "１２３４５６", None, "1234567"]
    s = pd.Series(cells, dtype="str")
    expected = [pad_code(v) if isinstance(v, str) else None for v in cells]
    got = pad_codes(s)
    assert [None if pd.isna(v) else v for v in got] == expected


def test_a_file_two_tables_read_is_read_once_per_run(tmp_path, monkeypatch):
    """The combined top-5 file (customers and suppliers, split by `where`) is parsed once; both tables match a
    separate read of each."""
    import shutil
    from pathlib import Path

    from srdi.ingest import load as load_mod
    from srdi.ingest import load_mapping

    root = Path(__file__).resolve().parents[1]
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(root / "tests" / "fixtures" / "partners" / "top5_combined.csv", raw / "FN_TopCusSup.csv")
    specs = load_mapping(root / "data" / "mappings" / "csmar_fields.yaml")
    pair = [specs["customers"], specs["suppliers"]]
    alone = [load_mod.load_table(raw, s).frame for s in pair]
    calls: list[str] = []
    real = load_mod.read_table
    monkeypatch.setattr(load_mod, "read_table", lambda path, *a, **k: calls.append(path.name) or real(path, *a, **k))
    cache = load_mod.shared_files(raw, pair)
    shared = [load_mod.load_table(raw, s, cache).frame for s in pair]
    assert calls == ["FN_TopCusSup.csv"]
    for a, b in zip(alone, shared, strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_applicant_pairs_split_like_pandas_explode():
    """Arrow's split of the ';'-joined applicants gives the rows pandas' split + explode gave."""
    from srdi.ingest.partner_proxies import _applicant_pairs

    patents = pd.DataFrame({"stkcd": ["000001", "000002", "000003", "000004", "000005"],
                            "app_year": [2020, 2021, None, 2022, 2023],
                            "applicants": ["甲公司;乙大学", None, "丙;丁", ";;戊研究所;", ""]}).astype(
        {"stkcd": "str", "applicants": "str"})
    got = _applicant_pairs(patents)
    pats = patents.dropna(subset=["app_year"]).reset_index(drop=True)
    names = pats["applicants"].astype("string").str.split(";")
    want = pd.DataFrame({"row": np.arange(len(pats)), "stkcd": pats["stkcd"], "name": names}).explode("name")
    want = want.dropna(subset=["name"])
    want = want.loc[want["name"].str.len() > 0].reset_index(drop=True)
    assert got["row"].tolist() == want["row"].tolist() == [0, 0, 2]
    assert got["stkcd"].tolist() == want["stkcd"].tolist()
    assert got["name"].tolist() == want["name"].tolist() == ["甲公司", "乙大学", "戊研究所"]


def _st_years_per_firm(events: pd.DataFrame, rule: str) -> pd.DataFrame:
    """The per-firm loop st_years replaced, kept as the reference."""
    from srdi.ingest.st_events import NORMAL, SEVERITY

    ev = events.dropna(subset=["event_date", "st_status"]).sort_values(["stkcd", "event_date"], kind="mergesort")
    horizon = int(ev["event_date"].dt.year.max())
    rows = []
    for stkcd, g in ev.groupby("stkcd", sort=True):
        years, status = g["event_date"].dt.year.to_numpy(), g["st_status"].to_numpy()
        for y in range(int(years.min()), horizon + 1):
            before = np.flatnonzero(years <= y)
            at_end = status[before[-1]] if before.size else NORMAL
            if rule == "any":
                start = status[np.flatnonzero(years < y)[-1]] if (years < y).any() else NORMAL
                at_end = max([start, *status[years == y]], key=lambda s: SEVERITY[s])
            if at_end != NORMAL:
                rows.append((str(stkcd), y, str(at_end)))
    return pd.DataFrame(rows, columns=["stkcd", "year", "st_type"]).astype({"year": "Int64"})


@pytest.mark.parametrize("rule", ["year_end", "any"])
@pytest.mark.parametrize("seed", range(5))
def test_st_years_equals_the_per_firm_loop(rule, seed):
    from srdi.ingest.st_events import st_years

    rng = np.random.default_rng(seed)
    n = 400
    days = rng.integers(0, 365 * 13, n)
    events = pd.DataFrame({
        "stkcd": pd.Series([f"{c:06d}" for c in rng.integers(1, 60, n)], dtype="str"),
        "event_date": pd.Timestamp("2011-01-01") + pd.to_timedelta(days, unit="D"),
        "st_status": pd.Series(rng.choice(["ST", "*ST", "正常"], n), dtype=object),
    })
    events.loc[rng.random(n) < 0.05, "st_status"] = None
    events = events.drop_duplicates(["stkcd", "event_date"])
    got, want = st_years(events, rule), _st_years_per_firm(events, rule)
    assert len(want) > 50
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)
    assert got["year"].dtype == want["year"].dtype


@pytest.mark.parametrize("text", [
    "a,b\n1,2\n", "a,b\n1,2", "a,b\r\n1,2\r\n", "a,b\r1,2\r", "a\n1\n\n2\n", "a,b\n\n1,2\n", "a,b\n1,2\n\n",
    "a,b\n1\n", "a,b\n1,2,3\n", "a,b\n , \n NA,nan\n", "a,b,\n1,,\n", "a,b\n1,\"x,y\"\n", "a,b\n1,x\"y\n",
    "stkcd,name\n000001,平安银行\n1,  空格 \n", "a;b\n1;2\n", "a,b\n#1,2\n", "a,b\n1,2\n\n\n",
])
def test_arrow_csv_grid_equals_pandas_or_defers_to_it(text):
    """Where Arrow reads a CSV (no quotes, rectangular, no blank line) its grid is pandas' grid exactly;
    every other file is left to pandas (None)."""
    import io

    from srdi.ingest.readers import _grid_arrow

    got = _grid_arrow(text)
    try:
        want = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False, skip_blank_lines=False,
                           sep=",")
    except pd.errors.ParserError:  # pandas' message is the one reported: Arrow must not read such a file
        assert got is None
        return
    if got is not None:
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        assert got.columns.dtype == want.columns.dtype and list(got.dtypes) == list(want.dtypes)


def test_arrow_reads_the_usual_export():
    from srdi.ingest.readers import _grid_arrow

    assert _grid_arrow("Stkcd,Accper,A001000000\n000001,2020-12-31,1.5\n") is not None


@pytest.mark.parametrize("fn_name", ["normalize_name", "is_total_name", "split_applicants"])
def test_map_distinct_equals_calling_the_function_on_every_cell(fn_name):
    """Names are classified once per distinct value (tables.map_distinct); the result is the per-cell call's."""
    from srdi.ingest import partners
    from srdi.ingest.tables import map_distinct

    fn = getattr(partners, fn_name)
    rng = np.random.default_rng(3)
    pool = ["腾讯科技（深圳）有限公司", "A公司; B大学；A公司", " 前五名客户合计 ", "合计", "", "ＡＢＣ  Ltd",
            "客户一", "-", None, float("nan"), "北京大学;清华大学"]
    cells = [pool[i] for i in rng.integers(0, len(pool), 500)]
    for series in (pd.Series(cells, dtype=object), pd.Series(cells, dtype="str")):
        got = map_distinct(series, fn)
        assert len(got) == len(cells)
        assert list(got) == [fn(v if isinstance(v, str) else None) for v in series]


def _naive_overlaps(stacked: pd.DataFrame, codes: list[str]) -> list[bool]:
    """Reference: a row repeats, cell for cell, a row of a file stacked before its own."""
    files = list(dict.fromkeys(stacked["_file"]))
    cols = [c for c in codes if c in stacked.columns]
    first: dict[tuple[object, ...], int] = {}
    keys = [tuple("\x00" if pd.isna(v) else v for v in row) for row in stacked[cols].itertuples(index=False)]
    for key, file in zip(keys, stacked["_file"], strict=True):
        first[key] = min(first.get(key, len(files)), files.index(file))
    return [first[k] < files.index(f) for k, f in zip(keys, stacked["_file"], strict=True)]


@pytest.mark.parametrize("seed", range(6))
def test_drop_overlaps_equals_comparing_rows_cell_by_cell(seed):
    """Overlaps of split downloads are found column by column on shrinking candidates; same rows as a naive
    comparison of whole rows (few distinct values, so many partial and complete repeats across 3 files)."""
    from srdi.ingest.dedupe import drop_overlaps

    rng = np.random.default_rng(seed)
    n = 400
    frame = pd.DataFrame({c: pd.Series(rng.choice(["1", "2", "x", None], n, p=[0.4, 0.3, 0.2, 0.1]), dtype="str")
                          for c in ["A", "B", "C"]})
    frame["_file"] = rng.choice(["b.csv", "a.csv", "c.csv"], n)
    frame.index = pd.RangeIndex(2, n + 2)
    want = _naive_overlaps(frame, ["A", "B", "C", "absent"])
    got, dropped = drop_overlaps(frame, ["A", "B", "C", "absent"])
    assert dropped == sum(want) > 0
    assert got.index.tolist() == frame.index[~np.array(want)].tolist()


@pytest.mark.parametrize("seed", range(5))
def test_sort_rows_equals_a_stable_pandas_sort(seed):
    """Interim tables are sorted by Arrow (tables.sort_rows): the same rows in the same order as pandas'
    stable sort, with ties, missing keys, CJK and astral text, and Int64 keys."""
    from srdi.ingest.tables import sort_rows

    rng = np.random.default_rng(seed)
    n = 300
    text = ["000001", "000002", "600000", "江苏省", "江苏", "a", "B", "\U0001f600", "", None]
    frame = pd.DataFrame({
        "stkcd": pd.Series(rng.choice(np.array(text, dtype=object), n), dtype=object),
        "year": pd.array(rng.choice([2011, 2012, None, 2023], n), dtype="Int64"),
        "rank": pd.array(rng.choice([1.0, 2.0, np.nan], n), dtype="float64"),
        "payload": np.arange(n),
    })
    frame.index = rng.permutation(n)
    for keys in (["stkcd"], ["stkcd", "year"], ["year", "rank", "stkcd"]):
        want = frame.sort_values(keys, kind="mergesort").reset_index(drop=True)
        pd.testing.assert_frame_equal(sort_rows(frame, keys), want)


def test_keep_rule_on_text_keys_equals_pandas_on_python_objects():
    """Repeated keys are found on Arrow-backed copies of text keys: same rows as pandas on the objects (None and
    NaN both missing and equal to each other; a number is not the text of it)."""
    from srdi.ingest.dedupe import keep_rule

    rng = np.random.default_rng(4)
    n = 500
    frame = pd.DataFrame({"stkcd": pd.Series(rng.choice(np.array(["000001", "000002", "江苏", None, np.nan],
                                                                  dtype=object), n), dtype=object),
                          "year": pd.array(rng.choice([2011, 2012, None], n), dtype="Int64")})
    mixed = pd.DataFrame({"k": pd.Series([1, "1", 1.0, None, "1"], dtype=object)})
    as_typed = frame.assign(stkcd=pd.Series([v if isinstance(v, str) else None for v in frame["stkcd"]],
                                            dtype=object))  # missing as None only: compared as Arrow text
    for df, keys in ((frame, ["stkcd", "year"]), (frame, ["stkcd"]), (mixed, ["k"]), (as_typed, ["stkcd"]),
                     (as_typed, ["stkcd", "year"])):
        for rule in ("error", "first", "last"):
            kept, dup = keep_rule(df, keys, rule)
            assert dup.tolist() == df.duplicated(subset=keys, keep=False).tolist()
            want = df if rule == "error" else df.loc[~df.duplicated(subset=keys, keep=rule)]
            pd.testing.assert_frame_equal(kept, want)
