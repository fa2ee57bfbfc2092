"""The `sample` query language: pandas `DataFrame.query` is the independent reference for what valid queries
select; hostile or invalid queries are refused before anything is evaluated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from srdi.models.mediation import parse_mediation_spec
from srdi.models.rows import sample_mask
from srdi.models.spec import parse_spec
from srdi.sample_query import MAX_QUERY_CHARS, evaluate, parse_sample_query, referenced_columns


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": [2014, 2015, 2016, 2020, 2021, 2019, 2018, 2017],
            "soe": [1, 0, 1, 1, 0, 1, 0, 0],
            "size": [1.5, np.nan, 3.0, -2.0, 5.0, 0.0, np.nan, 2.5],
            "prov": ["A", "B", None, "A", "C", "B", "A", None],
            "flag": [True, False, True, False, True, True, False, True],
            "省份": ["北京", "上海", "北京", None, "广东", "北京", "上海", "广东"],
            "lev": pd.array([1, None, 3, 4, None, 6, 7, 8], dtype="Int64"),
        }
    )


VALID = [
    "year != 2020",
    "year > 2015 & soe == 1",  # pandas: & binds more loosely than comparisons
    "year > 2015 and soe == 1",
    "soe == 1 | year > 2017 & soe == 0",
    "year > 2015 | soe == 1 and size > 0",
    "(year > 2015 | soe == 1) & size > 0",
    "not soe == 1",
    "~(soe == 1)",
    "~flag",
    "not flag",
    "flag",
    "flag & soe == 1",
    "soe == 1 & flag",
    "flag == True",
    "size != size",  # missing: != is True, as pandas
    "size != 2",
    "size == 2.5",
    "size < 2",
    "size >= 0",
    "prov != 'A'",
    'prov == "A"',
    "prov > 'A'",
    "year in [2014, 2020]",
    "year not in [2014, 2020]",
    "year in (2014, 2020)",
    "prov in ['A', 'C']",
    "prov not in ['A']",
    "2014 < year <= 2020",
    "2020 >= year > 2015 != soe",
    "size * 2 > 3",
    "size / 2 + 1 > 1.5",
    "-size > 1",
    "size - -1 >= 2",
    "year % 2 == 0",
    "year - 2000 > soe * 17",
    "year.isin([2014, 2016])",
    "prov.isin(['B'])",
    "year.between(2015, 2020)",
    "size.between(-2, 1.5)",
    "省份 == '北京'",
    "省份 != '北京' and year > 2015",
    "lev > 3",
    "lev != 4",
    "year == 2014.0",
    "soe == True",
    "size > 0 or not (year in [2014, 2015] and prov == 'A')",
]


@pytest.mark.parametrize("query", VALID)
def test_valid_query_selects_what_pandas_query_selects(frame: pd.DataFrame, query: str) -> None:
    expected = np.zeros(len(frame), dtype=bool)
    expected[frame.index.get_indexer(frame.query(query).index)] = True
    got = evaluate(parse_sample_query(query), frame)
    assert got.dtype == bool and got.shape == (len(frame),)
    np.testing.assert_array_equal(got, expected)


def test_evaluation_never_calls_pandas_eval(frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("pandas eval/query was called")

    expected = {q: frame.query(q).index.tolist() for q in VALID}
    for target in (pd, pd.DataFrame):
        monkeypatch.setattr(target, "eval", forbidden)
    monkeypatch.setattr(pd.DataFrame, "query", forbidden)
    for query in VALID:
        assert np.flatnonzero(evaluate(parse_sample_query(query), frame)).tolist() == expected[query]


def test_missing_values_follow_pandas(frame: pd.DataFrame) -> None:
    """A comparison with a missing value is False; != and `not in` are its negation and so True."""
    size_missing = frame["size"].isna().to_numpy()
    assert not evaluate(parse_sample_query("size < 100"), frame)[size_missing].any()
    assert not evaluate(parse_sample_query("size == size"), frame)[size_missing].any()
    assert evaluate(parse_sample_query("size != 1"), frame)[size_missing].all()
    prov_missing = frame["prov"].isna().to_numpy()
    assert evaluate(parse_sample_query("prov not in ['A']"), frame)[prov_missing].all()
    assert not evaluate(parse_sample_query("prov.isin(['A', 'B', 'C'])"), frame)[prov_missing].any()
    lev_missing = frame["lev"].isna().to_numpy()  # nullable integer: the result is <NA>, and the row is dropped
    assert not evaluate(parse_sample_query("lev > 0"), frame)[lev_missing].any()


def test_referenced_columns() -> None:
    parsed = parse_sample_query("(year > 2015 & 省份 == '北京') | size.between(0, 1) or -lev * 2 in [4] or flag")
    assert referenced_columns(parsed) == {"year", "省份", "size", "lev", "flag"}
    assert referenced_columns(parse_sample_query("1 < 2")) == set()


HOSTILE = [
    "@pd.io.common.os.system('echo hi') == 0",
    "year == @x",
    "year.to_csv('x.csv')",
    "year.to_csv('x.csv') is None",
    "year.__class__ == 1",
    "__import__('os').system('ls') == 0",
    "year.values.tofile('x') == 1",
    "year.isin([2014]).any()",
    "year.sum() > 0",
    "len(year) > 1",
    "globals() == 1",
    "year[0] == 2014",
    "(lambda: 1)() == 1",
    "[y for y in year] == [1]",
    "f'{year}' == '2020'",
    "year == 2020 if soe else True",
    "(x := 1) == 1",
    "year ** 2 > 4",
    "year // 2 == 1",
    "year << 1 > 2",
    "year is None",
    "year == None",
    "year == b'2020'",
    "year == 1j",
    "year == {2020}",
    "year in soe",
    "year.isin(soe)",
    "year.isin([soe])",
    "year.between(2015, 2020, inclusive='neither')",
    "year.between(2015)",
    "year == [2014, 2020]",
    "`year` == 2020",
    "year == 2020 # keep",
    "year == 2020\nimport os",
    "year == 2020; import os",
    "уear == 2020",  # Cyrillic у
    "year > 2015 and",
    "1 + 1",
    "'a' * 10 == 'x'",
    "-'a' == 1",
    "not " * 100 + "flag",
    "(" * 250 + "year == 1" + ")" * 250,
    "year == 1 or " * 90 + "year == 2",
    "year > " + "0" * MAX_QUERY_CHARS,
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_or_invalid_query_is_refused_without_data(query: str) -> None:
    with pytest.raises(ValueError, match="model 'h1': sample") as err:
        parse_sample_query(query, model="h1")
    assert "refused" in str(err.value) or "non-empty" in str(err.value)


@pytest.mark.parametrize(("query", "quoted"), [
    ("year.to_csv('x.csv')", "`year.to_csv('x.csv')`"),
    ("year > 2015 and year[0] == 1", "`year[0]`"),
    ("year == 2020 and len(year) > 1", "`len(year)`"),
    ("(year ** 2) > 1", "`year ** 2`"),
])
def test_refusal_quotes_the_offending_part(query: str, quoted: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_sample_query(query, model="m")
    assert quoted in str(err.value)


@pytest.mark.parametrize(("query", "message"), [
    ("firm_age > 3", r"names column\(s\) \['firm_age'\] that are not in the panel"),
    ("year", r"column 'year' is not true/false"),
    ("~soe", r"column 'soe' is not true/false"),
    ("prov * 100000000 == 'x'", r"arithmetic needs numbers, but column 'prov'"),
    ("prov > 1", r"cannot be computed"),
])
def test_query_that_does_not_fit_the_panel_is_an_error_at_evaluation(
    frame: pd.DataFrame, query: str, message: str
) -> None:
    parsed = parse_sample_query(query, model="m")  # valid grammar; the panel decides
    with pytest.raises(ValueError, match=message):
        evaluate(parsed, frame, model="m")
    with pytest.raises(ValueError, match="model 'm'"):
        sample_mask(frame, "m", query)


def test_length_limit() -> None:
    ok = "year > 0" + " " * (MAX_QUERY_CHARS - len("year > 0"))
    assert len(ok) == MAX_QUERY_CHARS
    parse_sample_query(ok)
    with pytest.raises(ValueError, match="more than 1000"):
        parse_sample_query(ok + " ")


@pytest.mark.parametrize("raw", ["", "   ", 3, ["year > 1"], True])
def test_sample_must_be_a_string(raw: object) -> None:
    with pytest.raises(ValueError, match="sample must be a non-empty query string"):
        parse_sample_query(raw, model="m")  # type: ignore[arg-type]


def test_hostile_query_with_a_side_effect_leaves_no_file(frame: pd.DataFrame, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "pwned.csv"
    query = f"year.to_csv({str(target)!r})"
    # control: pandas would have run it (this is what sample_mask used to hand the string to)
    control = tmp_path / "control.csv"
    frame.eval(f"year.to_csv({str(control)!r})")
    assert control.exists()
    with pytest.raises(ValueError, match="refused"):
        sample_mask(frame, "bad", query)
    with pytest.raises(ValueError, match="refused"):
        parse_spec({"outcome": "soe", "regressors": ["size"], "sample": query}, "bad", "prov", "year")
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["control.csv"]


def test_sample_mask_combines_flag_and_query(frame: pd.DataFrame) -> None:
    flagged = frame.assign(in_sample=[True, True, False, True, True, True, None, True])
    got = sample_mask(flagged, "m", "year >= 2016")
    expected = (frame["year"] >= 2016).to_numpy() & np.array([1, 1, 0, 1, 1, 1, 0, 1], dtype=bool)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(sample_mask(flagged, "m", None), [1, 1, 0, 1, 1, 1, 0, 1])


def test_model_specs_refuse_a_hostile_sample_naming_the_model() -> None:
    hostile = "year.to_csv('x')"
    with pytest.raises(ValueError, match=r"model 'base'.*refused"):
        parse_spec({"outcome": "y", "regressors": ["x"], "sample": hostile}, "base", "firm", "year")
    with pytest.raises(ValueError, match=r"model 'med'.*refused"):
        parse_mediation_spec({"kind": "mediation", "treatment": "x", "mediator": "m", "outcome": "y",
                              "sample": hostile}, "med", "firm", "year")
    assert parse_spec({"outcome": "y", "regressors": ["x"], "sample": "year > 1"}, "ok", "firm", "year").sample
