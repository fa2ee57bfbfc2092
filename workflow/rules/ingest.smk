# Read, map and validate every raw table; nothing is written unless all of them pass.


rule ingest:
    output:
        report=INGEST_REPORT,
    input:
        raw=raw_inputs,
        mapping=MAPPING,
        code=code("ingest"),
    params:
        py=PY,
        raw_dir=RAW_DIR,
        out_dir=lambda wc, output: Path(output.report).parent,
    log:
        f"{LOGS}/ingest.log",
    shell:
        "{params.py} ingest --raw-dir {params.raw_dir} --mapping {input.mapping} --out-dir {params.out_dir} > {log} 2>&1"


rule base_panel:
    output:
        BASE_PANEL,
    input:
        report=INGEST_REPORT,
        code=code("ingest"),
    params:
        py=PY,
        interim_dir=lambda wc, input: Path(input.report).parent,
    log:
        f"{LOGS}/base_panel.log",
    shell:
        "{params.py} base-panel --interim-dir {params.interim_dir} --out {output} > {log} 2>&1"
