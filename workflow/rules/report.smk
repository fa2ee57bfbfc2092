# Publication outputs: regression and descriptive tables in every format, figures, and the HTML report
# (srdi.report). Which ones exist is decided by srdi.report.plan from the config.
from srdi.report.plan import describe_tables, planned_figures, planned_tables, report_parts, table_models

FIGURES = "results/figures"
REPORT = "results/report.html"
TABLE_FORMATS = config["tables"]["formats"]
DESCRIBE_FORMATS = [f for f in TABLE_FORMATS if f != "csv"]
REGRESSION_TABLES = planned_tables(config)
DESCRIBE_TABLES = describe_tables(config)
FIGURE_NAMES = planned_figures(config)
TRUTH = [f"{DEMO_DIR}/truth.json"] if "truth_recovery" in FIGURE_NAMES else []
# Every table and figure file, for rule all (the report itself embeds only the HTML tables and PNG figures).
PUBLICATION = [
    *expand(f"{TABLES}/{{table}}.{{ext}}", table=REGRESSION_TABLES, ext=TABLE_FORMATS),
    *expand(f"{TABLES}/{{table}}.{{ext}}", table=DESCRIBE_TABLES, ext=DESCRIBE_FORMATS),
    *expand(f"{FIGURES}/{{name}}.{{ext}}", name=FIGURE_NAMES, ext=config["figures"]["formats"]),
]


# Formatting of finished estimates (a few seconds, no scaling with the data): local, not cluster jobs.
localrules:
    tables,
    report,


# Every table in one job (one Python start-up, not one per table): the regression tables of tables.regressions
# and the descriptive tables, each in every format of tables.formats.
rule tables:
    output:
        expand(f"{TABLES}/{{table}}.{{ext}}", table=REGRESSION_TABLES, ext=TABLE_FORMATS),
        expand(f"{TABLES}/{{table}}.{{ext}}", table=DESCRIBE_TABLES, ext=DESCRIBE_FORMATS),
    input:
        estimates=expand(ESTIMATE, name=table_models(config)),
        describe=expand(f"{TABLES}/{{table}}.csv", table=DESCRIBE_TABLES),
        codebook=CODEBOOK,
        provenance=PROVENANCE,
        code=code("report"),
    params:
        py=PY,
        config=CONFIG_ARG,
        estimates=Path(ESTIMATE).parent,
        tables=lambda wc, input: Path(input.describe[0]).parent,
    log:
        f"{LOGS}/tables.log",
    benchmark:
        f"{BENCHMARKS}/tables.tsv",
    shell:
        "{params.py:q} tables --config-json {params.config:q} --estimates-dir {params.estimates:q}"
        " --tables-dir {params.tables:q} --codebook {input.codebook:q} --provenance {input.provenance:q}"
        " --out-dir {params.tables:q} > {log:q} 2>&1"


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
            config=CONFIG_ARG,
            estimates=lambda wc, input: Path(input.estimates[0]).parent,
            truth=lambda wc, input: ["--truth", input.truth[0]] if input.truth else [],
            figures=lambda wc, output: Path(output[0]).parent,
        log:
            f"{LOGS}/figures.log",
        benchmark:
            f"{BENCHMARKS}/figures.tsv",
        # The longest of the last jobs (several seconds of drawing): ahead of provenance, tables and describe.
        priority: 1
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
        config=CONFIG_ARG,
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
