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
    shell:
        "{params.py:q} text-year --mdna-dir {params.mdna_dir:q} --year {wildcards.year:q}"
        " --dictionaries {params.dictionaries:q} --negation-window {params.window:q} --out {output:q} > {log:q} 2>&1"


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
    shell:
        "{params.py:q} text-combine --out {output:q} {input.shards:q} > {log:q} 2>&1"
