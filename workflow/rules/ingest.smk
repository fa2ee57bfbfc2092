# Read, map and validate every raw table; nothing is written unless all of them pass.


rule ingest:
    output:
        report=INGEST_REPORT,
    input:
        raw=raw_inputs,
        mapping=MAPPING,
        code=code("ingest"),
    log:
        f"{LOGS}/ingest.log",
    shell:
        "{PY} ingest --raw-dir {RAW_DIR} --mapping {input.mapping} --out-dir {INTERIM} > {log} 2>&1"


rule base_panel:
    output:
        BASE_PANEL,
    input:
        report=INGEST_REPORT,
        code=code("ingest"),
    log:
        f"{LOGS}/base_panel.log",
    shell:
        "{PY} base-panel --interim-dir {INTERIM} --out {output} > {log} 2>&1"
