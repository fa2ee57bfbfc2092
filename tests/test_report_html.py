"""The HTML report: self-contained, every table and figure with a caption, provenance shown, identical bytes
on a rebuild, and rendered with its images by headless Chromium."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from test_report_data import example_config, write_examples

from srdi.report.figures import write_figures
from srdi.report.html_report import build_report, write_report
from srdi.report.plan import describe_tables, planned_figures, planned_tables
from srdi.report.tables import write_describe_tables, write_regression_table

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _build_all(root: Path, language: str = "en") -> tuple[dict, Path]:
    """The DAG's report stage by hand: tables, describe tables, figures, then the page."""
    paths = write_examples(root)
    config = example_config(language)
    config["figures"]["dpi"] = 60
    for name in planned_tables(config):
        write_regression_table(config, name, paths["estimates"], paths["codebook"], paths["provenance"],
                               paths["tables"])
    write_describe_tables(config, paths["tables"], paths["codebook"], paths["provenance"], paths["tables"])
    write_figures(config, paths["estimates"], paths["codebook"], paths["truth"], paths["figures"])
    out = root / "report.html"
    write_report(config, paths["tables"], paths["figures"], paths["estimates"], paths["codebook"],
                 paths["provenance"], config["report"]["captions"], config["report"]["template"], out)
    return config, out


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[dict, Path]:
    return _build_all(tmp_path_factory.mktemp("report"))


def test_report_holds_every_table_and_figure_with_captions(report):
    config, path = report
    html = path.read_text(encoding="utf-8")
    for name in ["sample_construction", "descriptives", "correlations", *planned_tables(config)]:
        assert f'id="table-{name}"' in html, name
    for name in planned_figures(config):
        assert f'id="figure-{name}"' in html, name
    assert html.count("data:image/png;base64,") == len(planned_figures(config)) == 5
    captions = re.findall(r'<p class="caption">(.*?)</p>', html, flags=re.S)
    assert len(captions) == len(describe_tables(config)) + len(planned_tables(config)) + 5
    baseline = next(c for c in captions if c.startswith("Co-innovation and SRDI development: baseline"))
    assert "Regression of SRDI development on co-innovation" in baseline  # outcome on regressor (issue 12)
    assert "Sample: 1,000 firm-years" in baseline and "Fixed effects: firm and year" in baseline
    assert "Standard errors: clustered by firm" in baseline and "Tests H1: co-innovation raises SRDI" in baseline


def test_report_is_self_contained_and_shows_provenance(report):
    _, path = report
    html = path.read_text(encoding="utf-8")
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<link" not in html and "<script" not in html
    assert "0123456789abcdef0123" in html  # commit
    assert "2026-01-01T00:00:00" not in html  # the provenance timestamp stays in provenance.json
    assert "pandas</td><td>3.1.1" in html
    assert "matplotlib</td><td>" in html and "mplfonts</td><td>" in html
    assert "data/raw/mdna</td><td>1</td>" in html


def test_rebuild_gives_identical_bytes(report, tmp_path):
    _, path = report
    _, again = _build_all(tmp_path)
    assert again.read_bytes() == path.read_bytes()
    for table in sorted((path.parent / "tables").iterdir()):
        assert table.read_bytes() == (tmp_path / "tables" / table.name).read_bytes(), table.name
    for fig in sorted((path.parent / "figures").iterdir()):
        assert fig.read_bytes() == (tmp_path / "figures" / fig.name).read_bytes(), fig.name


def test_chinese_report(tmp_path):
    _, path = _build_all(tmp_path, language="zh")
    html = path.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html and "被解释变量" in html and "检验H1：融通创新促进中小企业专精特新发展" in html


def test_unknown_caption_placeholder_is_an_error(report, tmp_path):
    config, path = report
    bad = tmp_path / "captions.yaml"
    text = Path(config["report"]["captions"]).read_text(encoding="utf-8")
    bad.write_text(text.replace("{title}.", "{titel}.", 1), encoding="utf-8")
    root = path.parent
    with pytest.raises(ValueError, match="titel"):
        build_report(config, root / "tables", root / "figures", root / "estimates", root / "codebook.csv",
                     root / "provenance.json", bad, config["report"]["template"])


PROBE = """<script>
window.addEventListener("load", () => {
  const imgs = [...document.images];
  const ok = imgs.filter(i => i.complete && i.naturalWidth > 0).length;
  const p = document.createElement("p");
  p.id = "probe";
  p.textContent = `IMAGES ${ok}/${imgs.length} TABLES ${document.querySelectorAll("figure.srdi-table table").length}`;
  document.body.appendChild(p);
});
</script>"""


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium (/usr/bin/chromium) is not installed; "
                    ".ci/run installs Debian's chromium package")
def test_report_renders_in_headless_chromium(report, tmp_path):
    """The page as a browser shows it: every image decodes, every table is in the DOM, a screenshot has ink."""
    config, path = report
    probe = tmp_path / "probe.html"
    probe.write_text(path.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    flags = [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000"]
    dom = subprocess.run([str(CHROMIUM), *flags, "--dump-dom", probe.as_uri()], capture_output=True, text=True,
                         timeout=120, check=False)
    n_tables = len(describe_tables(config)) + len(planned_tables(config))
    assert f"IMAGES 5/5 TABLES {n_tables}" in dom.stdout, (dom.stdout[-500:], dom.stderr[-2000:])
    shot = tmp_path / "shot.png"
    run = subprocess.run([str(CHROMIUM), *flags, "--window-size=1200,2400", f"--screenshot={shot}", path.as_uri()],
                         capture_output=True, text=True, timeout=120, check=False)
    assert shot.exists() and shot.stat().st_size > 20_000, run.stderr[-2000:]

