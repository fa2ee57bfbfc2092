from srdi.run_summary import log_warnings, print_run_summary


def test_warnings_of_every_log_are_listed_once_with_their_file(tmp_path, capsys):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "estimate_panel.log").write_text(
        "2026-01-01 10:00:00,000 INFO srdi.models: fitted\n"
        "2026-01-01 10:00:00,000 WARNING srdi.models.vcov: model 'main': only 2 clusters of grp\n"
        "2026-01-01 10:00:01,000 WARNING srdi.models.vcov: model 'main': only 2 clusters of grp\n",
        encoding="utf-8")
    (logs / "text_year_2015.log").write_text("x.py:3: UserWarning: 2 undecodable files\n", encoding="utf-8")
    found = log_warnings(logs)
    assert [m for _, m in found] == ["model 'main': only 2 clusters of grp", "2 undecodable files"]
    report = tmp_path / "report.html"
    report.write_text("<html/>", encoding="utf-8")
    print_run_summary(logs, report)
    out = capsys.readouterr().out
    assert "Warnings of this run (2):" in out and "estimate_panel.log" in out
    assert out.rstrip().endswith(f"Report: {report.resolve()}")
