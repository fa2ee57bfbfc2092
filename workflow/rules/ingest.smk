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
        "{params.py:q} ingest --raw-dir {params.raw_dir:q} --mapping {input.mapping:q} --out-dir {params.out_dir:q}"
        " > {log:q} 2>&1"


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
        "{params.py:q} base-panel --interim-dir {params.interim_dir:q} --out {output:q} > {log:q} 2>&1"
