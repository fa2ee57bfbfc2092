"""`snakemake --lint` on the shipped workflow: no lint but the one the project answers by design.

The one accepted lint asks for a conda environment or container per rule. This project installs one pinned
environment with pip (`make`, requirements/constraints.txt) and runs every rule in it; it ships no conda
environment, since none could be tested here.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ACCEPTED = {"Specify a conda environment or container for each rule."}


def test_snakemake_lint_has_no_other_lints():
    run = subprocess.run([sys.executable, "-m", "snakemake", "--lint", "--cores", "1"], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    output = run.stdout + run.stderr
    titles = {line.strip()[2:].rstrip(":") for line in output.splitlines() if line.startswith("    * ")}
    assert titles, f"no lint output parsed; snakemake printed:\n{output[-2000:]}"
    assert titles <= ACCEPTED, f"unexpected lints: {sorted(titles - ACCEPTED)}\n{output[-4000:]}"
