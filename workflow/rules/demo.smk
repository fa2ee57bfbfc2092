# Synthetic demo: raw tables in the shape of CSMAR / CNRDS / cninfo exports, with truth.json (docs/demo_dgp.md).


rule demo_data:
    output:
        manifest=f"{DEMO_DIR}/manifest.json",
        truth=f"{DEMO_DIR}/truth.json",
    input:
        code=code("demo"),
    params:
        scale=config["demo"]["scale"],
        seed=config["seed"],
    log:
        f"{LOGS}/demo_data.log",
    shell:
        "{PY} demo --out-dir {DEMO_DIR} --scale {params.scale} --seed {params.seed} > {log} 2>&1"
