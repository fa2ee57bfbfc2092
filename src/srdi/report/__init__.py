"""Publication outputs: regression and descriptive tables (LaTeX, Word, Markdown, CSV, HTML), figures and the
self-contained HTML report, each carrying the run's provenance (commit, config hash)."""
