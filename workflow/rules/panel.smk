# The analysis panel: built from the ingested tables and text measures, or imported from the user's own file.

from srdi.report.plan import describe_sample_spec

if SOURCE == "panel":

    rule import_panel:
        output:
            panel=PANEL,
            codebook=CODEBOOK,
        input:
            panel=config["data"]["panel_file"],
            code=code("panel"),
        params:
            py=PY,
            entity=ENTITY,
            time=TIME,
            model_columns=job_file(columns_by_model(config["models"], ENTITY, TIME)),
        log:
            f"{LOGS}/import_panel.log",
        benchmark:
            f"{BENCHMARKS}/import_panel.tsv",
        threads: 1
        # A user's panel file (csv, parquet, dta, xlsx): xlsx and compressed formats take many times their size.
        resources:
            mem_mb=lambda wc, input: 1000 + int(50 * input.size_mb),
            runtime=lambda wc, input: 10 + int(input.size_mb / 10),
        shell:
            "{params.py:q} import-panel --in {input.panel:q} --entity {params.entity:q} --time {params.time:q}"
            " --model-columns {params.model_columns:q} --out {output.panel:q} --codebook {output.codebook:q}"
            " > {log:q} 2>&1"

else:

    rule panel:
        output:
            panel=PANEL,
            codebook=CODEBOOK,
            weights=f"{TABLES}/index_weights.csv",
            sample=f"{TABLES}/sample_construction.csv",
        input:
            base=BASE_PANEL,
            text=TEXT_MEASURES,
            code=code("panel"),
        log:
            f"{LOGS}/panel.log",
        benchmark:
            f"{BENCHMARKS}/panel.tsv",
        threads: 1
        # Measured: 174 MB tiny, 314 MB / 2 CPU-s default (6.7 MB of parquet inputs): about 17 MB per MB, doubled.
        resources:
            mem_mb=lambda wc, input: 1000 + int(40 * input.size_mb),
            runtime=lambda wc, input: 10 + int(input.size_mb),
        params:
            py=PY,
            settings=job_file(config["panel"]),
            tables_dir=lambda wc, output: Path(output.weights).parent,
        shell:
            "{params.py:q} panel --base {input.base:q} --text {input.text:q} --settings {params.settings:q}"
            " --out {output.panel:q} --codebook {output.codebook:q} --tables-dir {params.tables_dir:q} > {log:q} 2>&1"


# Descriptive statistics of the panel (8 s at default scale): local, not a cluster job.
localrules:
    describe,


rule describe:
    output:
        descriptives=f"{TABLES}/descriptives.csv",
        descriptives_panel=f"{TABLES}/descriptives_panel.csv",
        correlations=f"{TABLES}/correlations.csv",
        variables=f"{TABLES}/variables.csv",
    input:
        panel=PANEL,
        code=code("describe"),
    params:
        py=PY,
        variables=config["describe"]["variables"],
        sample_model=job_file(describe_sample_spec(config, ENTITY, TIME)),
        tables_dir=lambda wc, output: Path(output.descriptives).parent,
    log:
        f"{LOGS}/describe.log",
    benchmark:
        f"{BENCHMARKS}/describe.tsv",
    shell:
        "{params.py:q} describe --panel {input.panel:q} --variables {params.variables:q}"
        " --sample-model {params.sample_model:q} --tables-dir {params.tables_dir:q} > {log:q} 2>&1"
