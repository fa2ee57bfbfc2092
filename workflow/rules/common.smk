# Config validation, path constants and input functions shared by every stage.
import sys
from pathlib import Path

from srdi.config import load_workflow_config
from srdi.job_files import job_file
from srdi.model_jobs import makes_draws, model_chunks
from srdi.model_columns import columns_by_model
from srdi.run_summary import print_run_summary
from srdi.seeds import derive_seed
from srdi.workflow_inputs import mdna_files, package_sources, raw_table_paths, text_parts, text_years

CONFIG_FILE = "config.yaml"
config = load_workflow_config(CONFIG_FILE, workflow.config_settings.overwrite_config or {})

SOURCE = config["data"]["source"]
DEMO_DIR = config["demo"]["out_dir"]
RAW_DIR = DEMO_DIR if SOURCE == "demo" else config["data"]["raw_dir"]
MAPPING = config["data"]["mapping"]
ENTITY = config["data"]["entity"]
TIME = config["data"]["time"]

INTERIM = "results/interim"
INGEST_REPORT = f"{INTERIM}/ingest_report.json"
BASE_PANEL = f"{INTERIM}/base_panel.parquet"
PARTNER_MATCH = "results/partner_match.csv"
TEXT_SHARD = f"{INTERIM}/text/part{{part}}.parquet"
TEXT_MEASURES = f"{INTERIM}/text_measures.parquet"
PANEL = "results/panel.parquet"
CODEBOOK = "results/codebook.csv"
ESTIMATE = "results/estimates/{name}.csv"
DRAWS = f"{INTERIM}/draws/{{kind}}/{{shard}}.npz"
PROVENANCE = "results/provenance.json"
TABLES = "results/tables"
LOGS = "results/logs"
# Wall time and peak memory of every job (Snakemake benchmark tsv: s, max_rss in MB, ...); benchmarks/bench_dag.py.
BENCHMARKS = f"{LOGS}/benchmarks"

# Python runs through the interpreter Snakemake itself runs in, so the rules use the project's environment.
# A list, so `{params.py:q}` quotes each part (the project may live in a folder with spaces).
# Every value a shell command interpolates is quoted with :q: config values never reach a shell unquoted.
PY = [sys.executable, "-m", "srdi"]
# The resolved config for the jobs that read all of it, as `@<file>` (srdi.job_files): written once here, not
# echoed on every job's command line; its name changes with its content, so a config change reruns those jobs.
CONFIG_ARG = job_file(config)


def demo_ready(part):
    """In demo mode, the raw files exist only after the demo checkpoint of their part (tables or texts) has run;
    list them after it."""
    if SOURCE == "demo":
        return [getattr(checkpoints, f"demo_{part}").get().output.record]
    return []


# The demo's whole folder with its manifest, for the rules that read all of it (provenance hashes it).
DEMO_DONE = [f"{DEMO_DIR}/manifest.json"] if SOURCE == "demo" else []


def raw_inputs(wildcards=None):
    """Every raw table file ingestion reads (the mapping's files), so an edited export reruns it."""
    return [*demo_ready("tables"), *raw_table_paths(RAW_DIR, MAPPING)]


def text_jobs():
    """Report years of each text job (text.jobs jobs, or one per core); read when needed, not at parse time, as
    a user's years come from the file names and `panel` runs have no texts."""
    return text_parts(text_years(config, RAW_DIR), config["text"]["jobs"], workflow.cores)


def text_inputs(wildcards):
    """The report texts of the job's years: each is an input, so an edited text reruns its job. The demo's texts
    are the demo's own output: the list demo_texts writes of them (each with its sha256) stands for them, as
    Snakemake's own work grows with a job's input files (it sizes every input of a waiting job at each
    scheduling step and checksums them after it): 42,740 inputs cost more than the text jobs themselves
    (benchmarks/results/dag.md, "Schedule")."""
    if SOURCE == "demo":
        return demo_ready("texts")
    return mdna_files(RAW_DIR, text_jobs()[int(wildcards.part)])


def code(*stages):
    """Package source files a rule runs, so editing them reruns the rule (Snakemake cannot see imports)."""
    return package_sources(*stages)


def provenance_inputs():
    """What the run read: the raw folder (or the user's panel file), the mapping and the dictionaries."""
    if SOURCE == "panel":
        return [config["data"]["panel_file"]]
    return [RAW_DIR, MAPPING, *sorted(config["text"]["dictionaries"].values())]


# Kinds whose draws srdi.models.draws can split: with resampling.shards = n > 1 each runs n shard jobs writing
# partial draw files (over its models that make draws), and its estimate jobs combine them (same seeds, so the
# same bytes as one job). Every kind's models are split into up to n estimate jobs too (srdi.model_jobs).
SHARDED_KINDS = {"did", "heterogeneity", "iv", "mediation", "panel"}
SHARDS = config["resampling"]["shards"]


def kind_specs(names):
    """The config entries of these models, for `srdi estimate --specs`."""
    return job_file({n: config["models"][n] for n in names})


def kind_seeds(names):
    """Each model's seed (derived from the master seed and its name), for `srdi estimate --seeds`."""
    return job_file({n: derive_seed(config["seed"], f"model:{n}") for n in names})


def drawing_models(kind, names):
    """The models among `names` whose draws run in shard jobs (none with shards: 1 or a kind that does not split)."""
    if SHARDS == 1 or kind not in SHARDED_KINDS:
        return []
    return [n for n in names if makes_draws(kind, config["models"][n])]


def draw_shards(kind, names):
    """The kind's shard files if any of these models uses them, or none."""
    if not drawing_models(kind, names):
        return []
    return expand(DRAWS, kind=kind, shard=range(SHARDS))


def estimate_jobs(kind, names):
    """(job name, models) of the kind's estimate jobs: one job `estimate_<kind>`, or with resampling.shards n > 1
    up to n jobs `estimate_<kind>_<i>` over the sorted names in contiguous chunks (srdi.model_jobs.model_chunks)."""
    chunks = model_chunks(names, SHARDS)
    if len(chunks) == 1:
        return [(f"estimate_{kind}", chunks[0])]
    return [(f"estimate_{kind}_{i}", chunk) for i, chunk in enumerate(chunks)]


def model_mem_mb(wildcards, input):
    """An estimate or draws job holds the panel and the kind's fits: memory follows its input (the panel)."""
    return 1000 + int(60 * input.size_mb)


def model_runtime(kind):
    """Minutes for an estimate or draws job of `kind`, most for the resampling kinds (permutations, bootstraps,
    placebos); a draws job gets its estimate job's limit, since one shard may hold nearly all of the draws."""
    per_mb = {"heterogeneity": 5, "did": 5, "mediation": 2}.get(kind, 1)
    return lambda wildcards, input: 10 + int(per_mb * input.size_mb)
