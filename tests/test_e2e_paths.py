"""Paths with spaces and Chinese letters, everywhere a user may put them: the project folder, the raw-data
folder, the panel file, the dictionaries (every value reaches the rules' commands quoted)."""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _project(folder: Path) -> dict:
    shutil.copytree(ROOT / "workflow", folder / "workflow")
    (folder / "data").mkdir()
    shutil.copytree(ROOT / "data/mappings", folder / "data/mappings")
    shutil.copytree(ROOT / "data/dictionaries", folder / "data/词典 dictionaries")
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config["text"]["dictionaries"] = {k: v.replace("data/dictionaries", "data/词典 dictionaries")
                                      for k, v in config["text"]["dictionaries"].items()}
    config["figures"] = {"truth": False}
    return config


def _run(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2"], cwd=folder, capture_output=True,
                          text=True, check=False)


def test_raw_mode_in_folders_with_spaces_and_chinese_letters(tmp_path):
    from srdi.demo import generate_demo

    folder = tmp_path / "my project 项目"
    config = _project(folder)
    generate_demo(folder / "my raw data/导出 2024", scale="tiny", seed=5)
    config["data"].update({"source": "raw", "raw_dir": "my raw data/导出 2024"})
    config["models"] = {"baseline": config["models"]["baseline"]}
    config["tables"]["regressions"] = {"baseline": {"title": "Baseline", "models": ["baseline"]}}
    (folder / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    run = _run(folder)
    assert run.returncode == 0, run.stderr[-4000:]
    est = pd.read_csv(folder / "results/estimates/baseline.csv")
    assert est.loc[(est["equation"] == "main") & (est["term"] == "coinnov"), "std_error"].item() > 0
    assert (folder / "results/report.html").is_file()


def test_panel_mode_with_a_panel_file_name_with_spaces(tmp_path):
    folder = tmp_path / "panel project"
    config = _project(folder)
    rng = np.random.default_rng(1)
    panel = pd.DataFrame([(f"{i:06d}", y) for i in range(1, 61) for y in range(2012, 2020)], columns=["企业", "年份"])
    panel["x"] = rng.normal(size=len(panel))
    panel["y"] = 0.5 * panel["x"] + rng.normal(size=len(panel))
    panel.to_csv(folder / "data/my panel 面板.csv", index=False)
    config["data"].update({"source": "panel", "panel_file": "data/my panel 面板.csv", "entity": "企业", "time": "年份"})
    config["describe"] = {"variables": ["y", "x"]}
    config["models"] = {"主回归": {"kind": "panel", "outcome": "y", "regressors": ["x"], "lag": []}}
    config["tables"]["regressions"] = {"主表": {"title": "Main", "models": ["主回归"]}}
    (folder / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    run = _run(folder)
    assert run.returncode == 0, run.stderr[-4000:]
    est = pd.read_csv(folder / "results/estimates/主回归.csv").set_index("term")
    assert est.loc["x", "conf_low"] < 0.5 < est.loc["x", "conf_high"]
    assert (folder / "results/tables/主表.tex").is_file()
