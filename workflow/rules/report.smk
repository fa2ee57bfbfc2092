# Publication outputs: regression and descriptive tables in every format, figures, and the HTML report
# (srdi.report). What exists is decided by srdi.report.plan: tables and figures whose models are absent are skipped.
from srdi.report.plan import describe_tables, one_of, planned_figures, planned_tables, report_parts, table_models

FIGURES = "results/figures"
REPORT = "results/report.html"
TABLE_FORMATS = config["tables"]["formats"]
DESCRIBE_FORMATS = [f for f in TABLE_FORMATS if f != "csv"]
REGRESSION_TABLES = planned_tables(config)
DESCRIBE_TABLES = describe_tables(config)
FIGURE_NAMES = planned_figures(config)
TRUTH = [f"{DEMO_DIR}/truth.json"] if "truth_recovery" in FIGURE_NAMES else []
CONFIG_JSON = json.dumps(config, sort_keys=True)
# Every table and figure file, for rule all (the report itself embeds only the HTML tables and PNG figures).
PUBLICATION = [
    *expand(f"{TABLES}/{{table}}.{{ext}}", table=REGRESSION_TABLES, ext=TABLE_FORMATS),
    *expand(f"{TABLES}/{{table}}.{{ext}}", table=DESCRIBE_TABLES, ext=DESCRIBE_FORMATS),
    *expand(f"{FIGURES}/{{name}}.{{ext}}", name=FIGURE_NAMES, ext=config["figures"]["formats"]),
]


# Formatting of finished estimates (a few seconds each, no scaling with the data): local, not cluster jobs.
localrules:
    regression_table,
    describe_tables,
    report,


rule regression_table:
    output:
        expand(f"{TABLES}/{{table}}.{{ext}}", ext=TABLE_FORMATS, allow_missing=True),
    input:
        estimates=lambda wc: expand(ESTIMATE, name=table_models(config, wc.table)),
        codebook=CODEBOOK,
        provenance=PROVENANCE,
        code=code("report"),
    wildcard_constraints:
        table=one_of(REGRESSION_TABLES),
    params:
        py=PY,
        config=CONFIG_JSON,
        estimates=lambda wc, input: Path(input.estimates[0]).parent,
        tables=lambda wc, output: Path(output[0]).parent,
    log:
        f"{LOGS}/table_{{table}}.log",
    benchmark:
        f"{BENCHMARKS}/table_{{table}}.tsv",
    shell:
        "{params.py:q} table --config-json {params.config:q} --name {wildcards.table:q}"
        " --estimates-dir {params.estimates:q} --codebook {input.codebook:q} --provenance {input.provenance:q}"
        " --out-dir {params.tables:q} > {log:q} 2>&1"


rule describe_tables:
    output:
        expand(f"{TABLES}/{{table}}.{{ext}}", table=DESCRIBE_TABLES, ext=DESCRIBE_FORMATS),
    input:
        csv=expand(f"{TABLES}/{{table}}.csv", table=DESCRIBE_TABLES),
        codebook=CODEBOOK,
        provenance=PROVENANCE,
        code=code("report"),
    params:
        py=PY,
        config=CONFIG_JSON,
        tables=lambda wc, input: Path(input.csv[0]).parent,
    log:
        f"{LOGS}/describe_tables.log",
    benchmark:
        f"{BENCHMARKS}/describe_tables.tsv",
    shell:
        "{params.py:q} describe-tables --config-json {params.config:q} --tables-dir {params.tables:q}"
        " --codebook {input.codebook:q} --provenance {input.provenance:q} --out-dir {params.tables:q} > {log:q} 2>&1"


if FIGURE_NAMES:

    localrules:
        figures,

    rule figures:
        output:
            expand(f"{FIGURES}/{{name}}.{{ext}}", name=FIGURE_NAMES, ext=config["figures"]["formats"]),
        input:
            estimates=expand(ESTIMATE, name=sorted(config["models"])),
            truth=TRUTH,
            codebook=CODEBOOK,
            code=code("report"),
        params:
            py=PY,
            config=CONFIG_JSON,
            estimates=lambda wc, input: Path(input.estimates[0]).parent,
            truth=lambda wc, input: ["--truth", input.truth[0]] if input.truth else [],
            figures=lambda wc, output: Path(output[0]).parent,
        log:
            f"{LOGS}/figures.log",
        benchmark:
            f"{BENCHMARKS}/figures.tsv",
        shell:
            "{params.py:q} figures --config-json {params.config:q} --estimates-dir {params.estimates:q}"
            " --codebook {input.codebook:q} {params.truth:q} --out-dir {params.figures:q} > {log:q} 2>&1"


rule report:
    output:
        REPORT,
    input:
        tables=report_parts(config, TABLES, None),
        figures=report_parts(config, None, FIGURES),
        estimates=expand(ESTIMATE, name=sorted(config["models"])),
        codebook=CODEBOOK,
        provenance=PROVENANCE,
        captions=config["report"]["captions"],
        template=config["report"]["template"],
        code=code("report"),
    params:
        py=PY,
        config=CONFIG_JSON,
        estimates=lambda wc, input: Path(input.estimates[0]).parent,
        tables=lambda wc, input: Path(input.tables[0]).parent,
        figures=lambda wc, input: Path(input.figures[0]).parent if input.figures else FIGURES,
    log:
        f"{LOGS}/report.log",
    benchmark:
        f"{BENCHMARKS}/report.tsv",
    shell:
        "{params.py:q} report --config-json {params.config:q} --tables-dir {params.tables:q}"
        " --figures-dir {params.figures:q} --estimates-dir {params.estimates:q} --codebook {input.codebook:q}"
        " --provenance {input.provenance:q} --captions {input.captions:q} --template {input.template:q}"
        " --out {output:q} > {log:q} 2>&1"
