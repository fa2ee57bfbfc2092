# Estimates: one job per model kind fits all models of that kind in one process (one Python start-up per kind,
# not per specification; benchmarks/results/spec_grid.md) and writes one estimates file per model. With
# resampling.shards n > 1 a kind's models are split into up to n jobs estimate_<kind>_<i> (sorted names in
# contiguous chunks), so a cluster spreads a large specification grid; the kinds whose draws split add n jobs
# draws_<kind> over their models that make draws, combined by the estimate jobs. Then the provenance record.

MODEL_KINDS = {}
for _name, _spec in sorted(config["models"].items()):
    MODEL_KINDS.setdefault(_spec["kind"], []).append(_name)
# The permutation kind takes several times any other at every scale (benchmarks/results/dag.md): started first,
# the other kinds share the second core meanwhile instead of leaving it to run alone at the end.
KIND_PRIORITY = {"heterogeneity": 1}


for _kind, _names in MODEL_KINDS.items():
    for _rule, _chunk in estimate_jobs(_kind, _names):

        rule:
            name:
                _rule
            output:
                expand(ESTIMATE, name=_chunk),
            input:
                panel=PANEL,
                draws=draw_shards(_kind, _chunk),
                code=code("models"),
            params:
                py=PY,
                entity=ENTITY,
                time=TIME,
                specs=kind_specs(_chunk),
                seeds=kind_seeds(_chunk),
                out_dir=lambda wc, output: Path(output[0]).parent,
                draws=lambda wc, input: ["--draws", *input.draws] if input.draws else [],
            log:
                f"{LOGS}/{_rule}.log",
            benchmark:
                f"{BENCHMARKS}/{_rule}.tsv",
            threads: 1
            priority: KIND_PRIORITY.get(_kind, 0)
            # Measured (benchmarks/results/slurm_rules.md): 243-389 MB at default scale (7.9 MB panel), 167-182 MB
            # tiny.
            resources:
                mem_mb=model_mem_mb,
                runtime=model_runtime(_kind),
            shell:
                "{params.py:q} estimate --panel {input.panel:q} --specs {params.specs:q} --seeds {params.seeds:q}"
                " --entity {params.entity:q} --time {params.time:q} --out-dir {params.out_dir:q} {params.draws:q}"
                " > {log:q} 2>&1"

    if drawing_models(_kind, _names):

        rule:
            name:
                f"draws_{_kind}"
            output:
                DRAWS.replace("{kind}", _kind),
            input:
                panel=PANEL,
                code=code("models"),
            params:
                py=PY,
                entity=ENTITY,
                time=TIME,
                specs=kind_specs(drawing_models(_kind, _names)),
                seeds=kind_seeds(drawing_models(_kind, _names)),
                shard=lambda wc: f"{wc.shard}/{SHARDS}",
            log:
                f"{LOGS}/draws_{_kind}_{{shard}}.log",
            benchmark:
                f"{BENCHMARKS}/draws_{_kind}_{{shard}}.tsv",
            threads: 1
            priority: KIND_PRIORITY.get(_kind, 0)
            # Each draws job loads the panel and fits the kind's models as its estimate job does, then computes its
            # share of the draws: the same peak (388 MB heterogeneity, 336 MB mediation at default scale), memory
            # and time limit.
            resources:
                mem_mb=model_mem_mb,
                runtime=model_runtime(_kind),
            shell:
                "{params.py:q} estimate --panel {input.panel:q} --specs {params.specs:q} --seeds {params.seeds:q}"
                " --entity {params.entity:q} --time {params.time:q} --shard {params.shard:q}"
                " --draws-out {output:q} > {log:q} 2>&1"


# Hashes the run's inputs and outputs (7 s at default scale): local, not a cluster job.
localrules:
    provenance,


rule provenance:
    output:
        PROVENANCE,
    input:
        panel=PANEL,
        estimates=expand(ESTIMATE, name=sorted(config["models"])),
        demo=DEMO_DONE,
        code=code("provenance"),
    params:
        py=PY,
        config=CONFIG_ARG,
        inputs=provenance_inputs(),
    log:
        f"{LOGS}/provenance.log",
    benchmark:
        f"{BENCHMARKS}/provenance.tsv",
    shell:
        "{params.py:q} provenance --config-json {params.config:q} --inputs {params.inputs:q} --out {output:q}"
        " {input.panel:q} {input.estimates:q} > {log:q} 2>&1"
