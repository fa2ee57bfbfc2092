"""Every table compiles and fits an A4 page: pdflatex for English, xelatex (ctex) for Chinese, no overfull line
wider than the text (issue 12: baseline 223 pt, robustness 267 pt, heterogeneity 381 pt over; heterogeneity did not
compile under pdflatex). Skipped, saying so, where no TeX engine is installed (.ci/run installs one)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from test_report_data import example_config, write_examples
from test_report_journal import CODEBOOK, HEAD, HET, MODELS, ROB

from srdi.report.formats.latex import engine, render_latex
from srdi.report.tables import build_describe_tables, build_regression_table

TOLERANCE_PT = 1.0  # an overfull box up to this is invisible; more is text running into the margin
ALL_MODELS = ["rob_lag2", "rob_excl2020", "rob_ind", "rob_cl", "het", "mechanism", "endogeneity_iv",
              "moderation_env", "designation"]


def _tables(root, language):
    """Every table kind the pipeline writes, from the hand-written estimates: describe tables, each shipped
    regression table that has estimates here, and a wide nine-column table of every model kind."""
    paths = write_examples(root)
    for name, line in ROB.items():
        (paths["estimates"] / f"{name}.csv").write_text(HET if line is None else f"{HEAD}\n{line}\n", "utf-8")
    paths["codebook"].write_text(CODEBOOK + "coinnov_loo,Leave-one-out mean,留一均值,LOO,,,,\n", encoding="utf-8")
    with (paths["tables"] / "variables.csv").open("a", encoding="utf-8") as fh:  # a keyword in Chinese, a long source
        for i in range(20):
            fh.write(f'n_joint_univ{i},Joint patents with universities,与高校联合申请专利数,Univ{i},"count of the '
                     f'year\'s applications with a co-applicant named 大学 / 学院",EN_EquityNatureAll.EquityNature\n')
    config = example_config(language)
    config["models"].update(MODELS)
    regressions = config["tables"]["regressions"]
    regressions["wide"] = {"title": "Every kind side by side", "title_zh": "各类模型并列", "models": ALL_MODELS}
    tables = build_describe_tables(config, paths["tables"], paths["codebook"], None)
    for name, spec in regressions.items():
        if any((paths["estimates"] / f"{m}.csv").exists() for m in spec["models"]) and spec.get("content") != "balance":
            tables.append(build_regression_table(config, name, paths["estimates"], paths["codebook"], None))
    return tables


def _overfull(log: str) -> list[float]:
    return [float(x) for x in re.findall(r"Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)", log)]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_table_compiles_and_fits_the_page(tmp_path, language):
    for needed in ("pdflatex", "xelatex"):
        if shutil.which(needed) is None:
            pytest.skip(f"no TeX engine ({needed}) installed; .ci/run installs texlive")
    tables = _tables(tmp_path / "in", language)
    assert len(tables) >= 12
    # English is pdflatex's, except a table holding Chinese text (here the keyword in a definition)
    assert {t.name for t in tables if engine(t, language) == "xelatex"} == (
        {t.name for t in tables} if language == "zh" else {"variables"})
    out = tmp_path / "tex"
    out.mkdir()
    for table in tables:
        (out / f"{table.name}.tex").write_text(render_latex(table, language), encoding="utf-8")
        command = [engine(table, language), "-interaction=nonstopmode", "-halt-on-error", f"{table.name}.tex"]
        run = subprocess.run(command, cwd=out, capture_output=True, text=True, timeout=300, check=False)
        log = (out / f"{table.name}.log").read_text(encoding="utf-8", errors="replace")
        assert run.returncode == 0, (table.name, run.stdout[-2000:])
        too_wide = [w for w in _overfull(log) if w > TOLERANCE_PT]
        assert not too_wide, (table.name, too_wide)
        assert "Float too large" not in log, table.name
        assert (out / f"{table.name}.pdf").stat().st_size > 0
