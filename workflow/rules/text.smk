# Keyword counts of the annual-report texts: one job per core (text.jobs), each counting a set of report years in
# one process (srdi.text.count_years), so a run pays one Python start-up per core, not one per year. They start
# after ingestion has validated every raw table, so a bad export stops the run before any result is written.


rule text_count:
    output:
        TEXT_SHARD,
    input:
        texts=text_inputs,
        validated=INGEST_REPORT,
        dictionaries=list(config["text"]["dictionaries"].values()),
        code=code("text"),
    params:
        py=PY,
        mdna_dir=f"{RAW_DIR}/mdna",
        years=lambda wc: text_jobs()[int(wc.part)],
        dictionaries=[f"{k}={v}" for k, v in sorted(config["text"]["dictionaries"].items())],
        window=config["text"]["negation_window"],
        scope=config["text"]["scope"],
    log:
        f"{LOGS}/text_count_{{part}}.log",
    benchmark:
        f"{BENCHMARKS}/text_count_{{part}}.tsv",
    threads: 1
    # Reads its years' texts in batches of 16 M characters (about 200 MB of memory at most); the stage runs at
    # 100-200 MB/s per core on report-length texts (benchmarks/results/text.md), so the run time follows the size.
    resources:
        mem_mb=1000,
        runtime=lambda wc, input: 5 + int(input.size_mb / 1000),
    shell:
        "{params.py:q} text-count --mdna-dir {params.mdna_dir:q} --years {params.years:q}"
        " --dictionaries {params.dictionaries:q} --negation-window {params.window:q} --scope {params.scope:q}"
        " --out {output:q} > {log:q} 2>&1"


# Concatenates the shards (about 1 s): runs where Snakemake runs, not through a cluster job.
localrules:
    text_measures,


rule text_measures:
    output:
        TEXT_MEASURES,
    input:
        shards=lambda wc: expand(TEXT_SHARD, part=range(len(text_jobs()))),
        code=code("text"),
    params:
        py=PY,
    log:
        f"{LOGS}/text_measures.log",
    benchmark:
        f"{BENCHMARKS}/text_measures.tsv",
    shell:
        "{params.py:q} text-combine --out {output:q} {input.shards:q} > {log:q} 2>&1"
