# Two commands for a fresh machine with Python 3.11: `make run` and `make test`. Both are idempotent.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= 2

.PHONY: run test lint dag clean-results env

$(STAMP): pyproject.toml requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[dev,cluster]"
	touch $(STAMP)

env: $(STAMP)

## Create the environment and run the whole DAG on the bundled synthetic demo (workflow/Snakefile; Snakemake
## finds workflow/profiles/default by itself). srdi.launch first removes what a killed run left (its lock and
## temporary files), so a run resumes after an interruption without `snakemake --unlock`.
run: $(STAMP)
	$(BIN)/python -m srdi.launch --cores $(CORES)

## Create the environment, install the Debian packages some tests need where it can (scripts/system_packages.sh:
## Chromium, TeX, SLURM; as root with apt-get, else those tests skip, saying why) and run the test suite.
test: $(STAMP)
	scripts/system_packages.sh
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest

dag: $(STAMP)
	$(BIN)/snakemake -n --cores $(CORES)

clean-results:
	rm -rf results .snakemake/log
