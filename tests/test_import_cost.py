"""Start-up of the jobs on the critical path: modules they do not use stay unimported (each job is a process)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("module", ["srdi.demo.generate", "srdi.ingest.panel", "srdi.panel", "srdi.demo.parts"])
def test_jobs_that_do_not_validate_raw_tables_do_not_import_pandera(module: str) -> None:
    """pandera (the ingest schemas) costs about 0.4 s of CPU per process: only `srdi ingest` needs it."""
    code = f"import sys, {module}; print(sorted(m for m in ('pandera', 'pandas') if m in sys.modules))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT / "src")})
    imported = run.stdout.split("\n")[0]
    assert "pandera" not in imported
    if module == "srdi.demo.parts":  # the listing step (demo_manifest) reads json only
        assert "pandas" not in imported
