# Synthetic demo: raw tables in the shape of CSMAR / CNRDS / cninfo exports, with truth.json (docs/demo_dgp.md).


rule demo_data:
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
        "{params.py} demo --out-dir {params.out_dir} --scale {params.scale} --seed {params.seed} > {log} 2>&1"
