"""`make run`'s console: one line per job, unknown lines (errors) kept, the report's path last."""

from pathlib import Path

from srdi.console import condense, log_line

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_a_run_prints_one_line_per_job_then_warnings_then_the_report():
    """A default-scale demo run as Snakemake 9 printed it (689 lines) -> 41 job lines, the warning, the report."""
    raw = (FIXTURES / "snakemake_run.txt").read_text(encoding="utf-8").splitlines()
    out = list(condense(raw))
    jobs = [line for line in out if line.startswith("[")]
    assert len(jobs) == sum(line.startswith("Finished jobid") for line in raw) == 41
    assert jobs[0] == "[ 1/41] demo_data" and jobs[-1] == "[41/41] all"
    warnings = out.index("Warnings of this run (1):")
    assert all(line.startswith("[") for line in out[:warnings - 1])  # nothing but jobs before the summary
    assert out[-1].startswith("Report: ") and out[-1].endswith("results/report.html")
    assert len(out) == 41 + 1 + 1 + 1 + 1 + 1  # jobs, blank, heading, warning, blank, report
    assert not any("config-json" in line or "Shell command" in line for line in out)
    assert log_line(raw).startswith("Complete log(s): ")


def test_unrecognised_lines_such_as_errors_are_kept():
    raw = ["Building DAG of jobs...", "rule estimate_panel:", "    input: results/panel.parquet", "    jobid: 12",
           "Error in rule estimate_panel:", "    jobid: 12",
           "    log: results/logs/estimate_panel.log (check log file(s) for error details)", "",
           "Exiting because a job execution failed. Look below for error messages",
           "Complete log(s): /p/.snakemake/log/x.snakemake.log"]
    assert list(condense(raw)) == raw[4:-1]
