# Synthetic demo: raw tables in the shape of CSMAR / CNRDS / cninfo exports, with truth.json (docs/demo_dgp.md).
# Two jobs on two cores (srdi.demo.parts), so ingestion starts as soon as the tables exist while the report texts
# are still being written; demo_manifest then lists both in manifest.json. The folder ends up with the same bytes
# as `srdi demo` writes in one process.
DEMO_RECORD = f"{INTERIM}/demo/{{part}}.json"  # a part's files with their hashes, for demo_manifest


# Checkpoints: ingest lists the raw tables demo_tables wrote as its inputs; the text jobs take demo_texts' record
# (every text with its sha256: common.smk, text_inputs). Resources as the one job they replace (155 MB / 3 s tiny,
# 537 MB / 24 s default, large 7x default, benchmarks/results/slurm_rules.md); each part does about half its work
# (default: tables 650 MB, texts 200 MB at most; 10 CPU s each, benchmarks/results/demo.md).
checkpoint demo_tables:
    output:
        record=DEMO_RECORD.format(part="tables"),
        truth=f"{DEMO_DIR}/truth.json",
    input:
        code=code("demo"),
    params:
        py=PY,
        out_dir=lambda wc, output: Path(output.truth).parent,
        scale=config["demo"]["scale"],
        seed=config["seed"],
        texts=config["demo"]["texts"],
    log:
        f"{LOGS}/demo_tables.log",
    benchmark:
        f"{BENCHMARKS}/demo_tables.tsv",
    threads: 1
    resources:
        mem_mb={"tiny": 1000, "small": 1000, "default": 1500}.get(config["demo"]["scale"], 6000),
        runtime={"tiny": 10, "small": 10, "default": 15}.get(config["demo"]["scale"], 60),
    shell:
        "{params.py:q} demo --part tables --record {output.record:q} --out-dir {params.out_dir:q}"
        " --scale {params.scale:q} --seed {params.seed:q} --texts {params.texts:q} > {log:q} 2>&1"


checkpoint demo_texts:
    output:
        record=DEMO_RECORD.format(part="texts"),
    input:
        code=code("demo"),
    params:
        py=PY,
        out_dir=DEMO_DIR,
        scale=config["demo"]["scale"],
        seed=config["seed"],
        texts=config["demo"]["texts"],
    log:
        f"{LOGS}/demo_texts.log",
    benchmark:
        f"{BENCHMARKS}/demo_texts.tsv",
    threads: 1
    resources:
        mem_mb={"tiny": 1000, "small": 1000, "default": 1500}.get(config["demo"]["scale"], 6000),
        runtime={"tiny": 10, "small": 10, "default": 15}.get(config["demo"]["scale"], 60),
    shell:
        "{params.py:q} demo --part texts --record {output.record:q} --out-dir {params.out_dir:q}"
        " --scale {params.scale:q} --seed {params.seed:q} --texts {params.texts:q} > {log:q} 2>&1"


# Writes two listings from the parts' records (under a second): local, not a cluster job.
localrules:
    demo_manifest,


rule demo_manifest:
    output:
        manifest=f"{DEMO_DIR}/manifest.json",
    input:
        records=expand(DEMO_RECORD, part=["tables", "texts"]),
        code=code("demo"),
    params:
        py=PY,
        out_dir=lambda wc, output: Path(output.manifest).parent,
    log:
        f"{LOGS}/demo_manifest.log",
    benchmark:
        f"{BENCHMARKS}/demo_manifest.tsv",
    shell:
        "{params.py:q} demo-manifest --out-dir {params.out_dir:q} {input.records:q} > {log:q} 2>&1"
