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
    log:
        f"{LOGS}/demo_data.log",
    shell:
        "{params.py:q} demo --out-dir {params.out_dir:q} --scale {params.scale:q} --seed {params.seed:q} > {log:q} 2>&1"
