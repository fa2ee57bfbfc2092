# Synthetic demo: raw tables in the shape of CSMAR / CNRDS / cninfo exports, with truth.json (docs/demo_dgp.md).


# A checkpoint: the rules after it list the files it wrote (raw tables, texts) as their inputs.
checkpoint demo_data:
    output:
        manifest=f"{DEMO_DIR}/manifest.json",
        truth=f"{DEMO_DIR}/truth.json",
    input:
        code=code("demo"),
    params:
        py=PY,
        out_dir=lambda wc, output: Path(output.manifest).parent,
        scale=config["demo"]["scale"],
        seed=config["seed"],
        texts=config["demo"]["texts"],
    log:
        f"{LOGS}/demo_data.log",
    benchmark:
        f"{BENCHMARKS}/demo_data.tsv",
    threads: 1
    # Measured (benchmarks/results/slurm_rules.md): 179 MB tiny, 744 MB / 22 CPU-s default; large is 7x default.
    resources:
        mem_mb={"tiny": 1000, "small": 1000, "default": 1500}.get(config["demo"]["scale"], 6000),
        runtime={"tiny": 10, "small": 10, "default": 15}.get(config["demo"]["scale"], 60),
    shell:
        "{params.py:q} demo --out-dir {params.out_dir:q} --scale {params.scale:q} --seed {params.seed:q}"
        " --texts {params.texts:q} > {log:q} 2>&1"
