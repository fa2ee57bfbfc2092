# Keyword counts of the MD&A texts, one shard per report year so shards run in parallel. They start after
# ingestion has validated every raw table, so a bad export stops the run before any result is written.


rule text_year:
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
        dictionaries=[f"{k}={v}" for k, v in sorted(config["text"]["dictionaries"].items())],
        window=config["text"]["negation_window"],
    log:
        f"{LOGS}/text_year_{{year}}.log",
    benchmark:
        f"{BENCHMARKS}/text_year_{{year}}.tsv",
    threads: 1
    # Streams the year's texts one by one: 127 MB tiny, 140 MB / 6 s default (about 10 MB of texts a year); the
    # text stage matches 150 MB/s (benchmarks/results/text.md), so the run time follows the texts' size.
    resources:
        mem_mb=1000,
        runtime=lambda wc, input: 5 + int(input.size_mb / 1000),
    shell:
        "{params.py:q} text-year --mdna-dir {params.mdna_dir:q} --year {wildcards.year:q}"
        " --dictionaries {params.dictionaries:q} --negation-window {params.window:q} --out {output:q} > {log:q} 2>&1"


# Concatenates the yearly shards (2 s at default scale): runs where Snakemake runs, not through a cluster job.
localrules:
    text_measures,


rule text_measures:
    output:
        TEXT_MEASURES,
    input:
        shards=lambda wc: expand(TEXT_SHARD, year=text_years(config, RAW_DIR)),
        code=code("text"),
    params:
        py=PY,
    log:
        f"{LOGS}/text_measures.log",
    benchmark:
        f"{BENCHMARKS}/text_measures.tsv",
    shell:
        "{params.py:q} text-combine --out {output:q} {input.shards:q} > {log:q} 2>&1"
