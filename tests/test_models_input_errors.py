"""Broken input on the models side: a column with no value on a model's sample rows is an error naming the model
and the column, for every kind; a clustering with fewer than MIN_CLUSTERS clusters is logged by every kind and
noted in the regression tables."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import pytest

from srdi.clusters import MIN_CLUSTERS
from srdi.models.panel import fit_panel
from srdi.models.run import fit_one, log_few_clusters, run_model
from srdi.models.unobserved import NoObservationsError, diagnose, spec_columns

ENTITY, TIME = "stkcd", "year"
YEARS = range(2012, 2020)


def make_panel(n_firms: int = 60, seed: int = 3) -> pd.DataFrame:
    """A balanced firm-year panel with every column the six kinds below use."""
    rng = np.random.default_rng(seed)
    firms = [f"{i:06d}" for i in range(n_firms)]
    df = pd.DataFrame([(f, t) for f in firms for t in YEARS], columns=[ENTITY, TIME])
    n = len(df)
    firm_idx = df[ENTITY].astype(int).to_numpy()
    df["soe"] = (firm_idx % 2).astype(int)
    df["industry"] = firm_idx % 4  # 4 clusters
    df["z"] = rng.normal(size=n)
    df["w"] = rng.normal(size=n)
    df["x"] = 0.8 * df["z"] + rng.normal(size=n)
    df["m"] = 0.5 * df["x"] + rng.normal(size=n)
    df["y"] = 0.3 * df["x"] + 0.4 * df["m"] + 0.2 * df["w"] + rng.normal(size=n)
    df["d"] = (df["y"] + rng.normal(size=n) > 0).astype(int)
    return df


SPECS = {
    "panel": {"kind": "panel", "outcome": "y", "regressors": ["x"], "controls": ["w"]},
    "iv": {"kind": "iv", "outcome": "y", "endogenous": ["x"], "instruments": ["z"], "controls": ["w"]},
    "mediation": {"kind": "mediation", "treatment": "x", "mediator": "m", "outcome": "y", "controls": ["w"],
                  "bootstrap": {"reps": 5}},
    "moderation": {"kind": "moderation", "outcome": "y", "regressor": "x", "moderator": "m", "controls": ["w"]},
    "heterogeneity": {"kind": "heterogeneity", "outcome": "y", "regressors": ["x"], "controls": ["w"],
                      "group_by": "soe", "permutations": 5},
    "binary": {"kind": "binary", "outcome": "d", "regressors": ["x"], "controls": ["w"]},
}


def _fit(panel: pd.DataFrame, kind: str, **changes: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_one(panel, {**SPECS[kind], **changes}, f"m_{kind}", ENTITY, TIME, 1, "panel.parquet")


def _outcome(kind: str) -> str:
    return str(SPECS[kind]["outcome"])


# ---------------------------------------------------------------------------------------------- all missing


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_every_kind_fits_the_clean_panel(kind: str) -> None:
    """The control for the tests below: the same specs run on the unbroken panel."""
    assert len(_fit(make_panel(), kind)) > 0


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_all_missing_outcome_names_model_and_column(kind: str) -> None:
    panel = make_panel().assign(**{_outcome(kind): np.nan})
    with pytest.raises(NoObservationsError) as err:
        _fit(panel, kind)
    msg = str(err.value)
    assert f"model 'm_{kind}'" in msg
    assert f"column(s) [{_outcome(kind)!r}] have no non-missing value on the model's {len(panel)} sample rows" in msg
    assert "e.g. stkcd=000000 year=2012" in msg
    assert "panel file panel.parquet" in msg


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_outcome_missing_only_on_the_sample_rows_is_named(kind: str) -> None:
    """Values outside the sample (here before 2018) do not help: the outcome is never lagged."""
    panel = make_panel()
    panel.loc[panel[TIME] >= 2018, _outcome(kind)] = np.nan
    with pytest.raises(NoObservationsError, match=rf"column\(s\) \['{_outcome(kind)}'\] have no non-missing value "
                                                  rf"on the model's {(panel[TIME] >= 2018).sum()} sample rows"):
        _fit(panel, kind, sample="year >= 2018")


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_all_missing_control_is_named(kind: str) -> None:
    panel = make_panel().assign(w=np.nan)
    with pytest.raises(NoObservationsError, match=r"model 'm_\w+': column\(s\) \['w'\] have no non-missing"):
        _fit(panel, kind)


@pytest.mark.parametrize("kind", ["panel", "iv", "heterogeneity"])
def test_all_missing_cluster_column_is_named(kind: str) -> None:
    panel = make_panel().assign(industry=np.nan)
    with pytest.raises(NoObservationsError, match=r"column\(s\) \['industry'\] have no non-missing"):
        _fit(panel, kind, vcov={"type": "cluster", "by": ["industry"]})


def test_mediator_all_missing_is_named() -> None:
    panel = make_panel().assign(m=np.nan)
    with pytest.raises(NoObservationsError, match=r"model 'm_mediation': column\(s\) \['m'\]"):
        _fit(panel, "mediation")


def test_fit_panel_names_a_lagged_regressor_whose_lag_is_missing() -> None:
    """The first panel year has no previous year: L.x is missing on every row of `year == 2012`."""
    panel = make_panel()
    with pytest.raises(NoObservationsError, match=r"column\(s\) \['x \(lagged 1 year\)'\]"):
        fit_panel(panel, {**SPECS["panel"], "sample": "year == 2012"}, ENTITY, TIME, name="first_year")
    with pytest.raises(NoObservationsError, match=r"\['x \(lagged 2 years\)'\]"):
        fit_panel(panel, {**SPECS["panel"], "sample": "year <= 2013", "lag_years": 2}, ENTITY, TIME, name="l2")


def test_a_term_missing_as_is_but_present_lagged_is_not_blamed() -> None:
    """No false alarm: x is missing in 2019 but lagged (the default) it comes from 2018, so the model fits."""
    panel = make_panel()
    panel.loc[panel[TIME] == 2019, "x"] = np.nan
    frame = _fit(panel, "panel", sample="year == 2019", fe=[], vcov={"type": "robust"})
    assert frame.loc[frame["term"] == "x", "nobs"].iloc[0] == (panel[TIME] == 2019).sum()
    assert diagnose(panel, {**SPECS["iv"], "sample": "year == 2019"}, "iv", ENTITY, TIME) is None


def test_columns_jointly_missing_give_counts_per_column() -> None:
    panel = make_panel()
    panel.loc[panel["soe"] == 1, "y"] = np.nan
    panel.loc[panel["soe"] == 0, "w"] = np.nan
    with pytest.raises(NoObservationsError) as err:
        fit_panel(panel, SPECS["panel"], ENTITY, TIME, name="joint")
    msg = str(err.value)
    n_y = int(panel["y"].notna().sum())
    n_w = int(panel["w"].notna().sum())
    assert "no complete observations in the sample" in msg
    assert f"y {n_y}" in msg and f"w {n_w}" in msg


def test_empty_sample_is_named_with_its_query() -> None:
    with pytest.raises(NoObservationsError, match=r"model 'm_iv': the estimation sample is empty: no panel row is "
                                                  r"flagged in_sample that pass its sample query 'year > 2030'"):
        _fit(make_panel(), "iv", sample="year > 2030")


def test_run_model_names_the_panel_file(tmp_path) -> None:
    path = tmp_path / "panel.parquet"
    make_panel().assign(y=np.nan).to_parquet(path)
    out = tmp_path / "est.csv"
    with pytest.raises(NoObservationsError, match=rf"\['y'\].*panel file {path}"):
        run_model(path, SPECS["moderation"], "mod", ENTITY, TIME, out)
    assert not out.exists()


def test_spec_columns_of_every_kind() -> None:
    fixed, terms = spec_columns({**SPECS["mediation"], "fe": ["entity", "industry^year"],
                                 "vcov": {"type": "cluster", "by": ["industry", "time"]},
                                 "bootstrap": {"cluster": "industry"}}, ENTITY, TIME)
    assert fixed == [ENTITY, TIME, "y", "m", "industry"]
    assert terms == ["x", "w"]
    fixed, terms = spec_columns({**SPECS["iv"], "loo_instrument": {"by": ["industry"]}, "vcov": {"type": "robust"}},
                                ENTITY, TIME)
    assert fixed == [ENTITY, TIME, "y", "industry"]
    assert terms == ["x", "z", "w"]


# ---------------------------------------------------------------------------------------------- few clusters


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_every_kind_logs_few_clusters(kind: str, caplog: pytest.LogCaptureFixture) -> None:
    panel = make_panel()
    with caplog.at_level(logging.WARNING, logger="srdi.models.run"):
        _fit(panel, kind, vcov={"type": "cluster", "by": ["industry"]})
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    g = 2 if kind == "heterogeneity" else panel["industry"].nunique()  # each soe group holds 2 of the 4 industries
    expected = f"is clustered by industry with only {g} clusters"
    assert any(m.startswith(f"model 'm_{kind}'") and expected in m for m in messages), messages
    assert all(f"fewer than {MIN_CLUSTERS} clusters" in m for m in messages)


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_enough_clusters_log_nothing(kind: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="srdi.models.run"):
        _fit(make_panel(n_firms=2 * MIN_CLUSTERS), kind)  # firm clusters: 2 x threshold, or threshold per soe group
    assert not [r for r in caplog.records if r.name == "srdi.models.run"]


def test_few_clusters_threshold_and_message(caplog: pytest.LogCaptureFixture) -> None:
    frame = pd.DataFrame({
        "vcov": ["cluster:industry", "cluster:industry", "cluster:stkcd+year", "robust", "cluster:province"],
        "n_clusters": pd.array([MIN_CLUSTERS - 1, MIN_CLUSTERS - 1, 12, None, MIN_CLUSTERS], dtype="Int64"),
        "equation": ["first_stage", "second_stage", "second_stage", "second_stage", "diagnostic"],
    })
    with caplog.at_level(logging.WARNING, logger="srdi.models.run"):
        log_few_clusters(frame, "grid")
    assert [r.getMessage() for r in caplog.records] == [
        f"model 'grid' (first_stage, second_stage) is clustered by industry with only {MIN_CLUSTERS - 1} clusters: "
        f"cluster-robust standard errors and p-values are unreliable with fewer than {MIN_CLUSTERS} clusters",
        f"model 'grid' (second_stage) is clustered by stkcd+year with only 12 clusters: "
        f"cluster-robust standard errors and p-values are unreliable with fewer than {MIN_CLUSTERS} clusters",
    ]


def _table_with_few_clusters(tmp_path, language: str, refine_g: int, distinct_g: int):
    from test_report_data import ESTIMATES, example_config, write_examples

    from srdi.report.tables import build_regression_table

    paths = write_examples(tmp_path)
    for name, g in (("channel_refine", refine_g), ("channel_distinct", distinct_g)):
        text = ESTIMATES[name].replace(",99,", f",{g},").replace(",98,", f",{g},")
        text = text.replace("cluster:stkcd", "cluster:industry_code")
        (paths["estimates"] / f"{name}.csv").write_text(text, encoding="utf-8")
    return build_regression_table(example_config(language), "channels", paths["estimates"], paths["codebook"], None)


def test_regression_table_notes_few_clusters(tmp_path) -> None:
    table = _table_with_few_clusters(tmp_path, "en", 12, MIN_CLUSTERS + 10)
    assert table.notes == [
        "Standard errors in parentheses: columns (1), (4) clustered by firm; columns (2)–(3) clustered by industry.",
        "Column (2) is clustered by industry with only 12 clusters; cluster-robust inference is unreliable "
        f"with fewer than {MIN_CLUSTERS} (see the wild cluster bootstrap).",
        "* p<0.1, ** p<0.05, *** p<0.01.",
    ]
    assert table.panels[1].rows[-1] == ["Clusters", "99", "12", str(MIN_CLUSTERS + 10), "98"]


def test_regression_table_notes_columns_sharing_few_clusters_in_chinese(tmp_path) -> None:
    table = _table_with_few_clusters(tmp_path, "zh", 12, 12)
    assert (f"第（2）—（3）列按行业聚类，仅有12个聚类；聚类数少于{MIN_CLUSTERS}时，聚类稳健推断不可靠"
            "（可参考野聚类自助法）。") in table.notes
    en = _table_with_few_clusters(tmp_path / "en", "en", 12, 12)
    assert "Columns (2)–(3) are clustered by industry with only 12 clusters; cluster-robust inference is " \
           f"unreliable with fewer than {MIN_CLUSTERS} (see the wild cluster bootstrap)." in en.notes
