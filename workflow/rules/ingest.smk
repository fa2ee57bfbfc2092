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
    benchmark:
        f"{BENCHMARKS}/ingest.tsv",
    threads: 1
    # Measured (benchmarks/results/slurm_rules.md): 181 MB tiny, 724 MB / 11 CPU-s default (129 MB of raw tables):
    # about 4.3 MB per MB of input, doubled.
    resources:
        mem_mb=lambda wc, input: 1000 + int(9 * input.size_mb),
        runtime=lambda wc, input: 10 + int(input.size_mb / 20),
    shell:
        "{params.py:q} ingest --raw-dir {params.raw_dir:q} --mapping {input.mapping:q} --out-dir {params.out_dir:q}"
        " > {log:q} 2>&1"


rule base_panel:
    output:
        panel=BASE_PANEL,
        match_report=PARTNER_MATCH,
    input:
        report=INGEST_REPORT,
        aliases=[config["partners"]["aliases"]] if config["partners"]["aliases"] else [],
        code=code("ingest"),
    params:
        py=PY,
        interim_dir=lambda wc, input: Path(input.report).parent,
        aliases=["--aliases", config["partners"]["aliases"]] if config["partners"]["aliases"] else [],
    log:
        f"{LOGS}/base_panel.log",
    benchmark:
        f"{BENCHMARKS}/base_panel.tsv",
    threads: 1
    # Ahead of the text jobs that become ready with it: on 2 cores it runs beside them (the panel waits for
    # both branches) instead of after two of them (benchmarks/results/dag.md, "Schedule").
    priority: 1
    # Reads the validated tables beside the report (results/interim, 24 MB at default scale), not listed as inputs.
    # Measured: 205 MB tiny, 579 MB / 6 CPU-s default.
    resources:
        mem_mb=lambda wc, input: 1000 + int(
            40 * sum(f.stat().st_size for f in Path(input.report).parent.glob("*.parquet")) / 2**20
        ),
        runtime=15,
    shell:
        "{params.py:q} base-panel --interim-dir {params.interim_dir:q} --out {output.panel:q}"
        " {params.aliases:q} --match-report {output.match_report:q} > {log:q} 2>&1"
