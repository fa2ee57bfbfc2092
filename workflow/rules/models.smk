# One estimates file per named model of config.yaml, and the run's provenance record.


rule estimate:
    output:
        ESTIMATE,
    input:
        panel=PANEL,
        code=code("models"),
    params:
        py=PY,
        entity=ENTITY,
        time=TIME,
        spec=lambda wc: json.dumps(config["models"][wc.name], sort_keys=True),
        seed=lambda wc: derive_seed(config["seed"], f"model:{wc.name}"),
    log:
        f"{LOGS}/estimate_{{name}}.log",
    shell:
        "{params.py} estimate --panel {input.panel} --name {wildcards.name} --spec {params.spec:q}"
        " --entity {params.entity} --time {params.time} --seed {params.seed} --out {output} > {log} 2>&1"


rule provenance:
    output:
        PROVENANCE,
    input:
        panel=PANEL,
        estimates=expand(ESTIMATE, name=sorted(config["models"])),
        code=code("provenance"),
    params:
        py=PY,
        config=json.dumps(config, sort_keys=True),
        inputs=" ".join(shlex.quote(p) for p in provenance_inputs()),
    log:
        f"{LOGS}/provenance.log",
    shell:
        "{params.py} provenance --config-json {params.config:q} --inputs {params.inputs} --out {output}"
        " {input.panel} {input.estimates} > {log} 2>&1"
