# Keyword counts of the MD&A texts, one shard per report year so shards run in parallel.


rule text_year:
    output:
        TEXT_SHARD,
    input:
        raw=raw_inputs,
        dictionaries=list(config["text"]["dictionaries"].values()),
        code=code("text"),
    params:
        py=PY,
        mdna_dir=f"{RAW_DIR}/mdna",
        dictionaries=" ".join(f"{k}={v}" for k, v in sorted(config["text"]["dictionaries"].items())),
        window=config["text"]["negation_window"],
    log:
        f"{LOGS}/text_year_{{year}}.log",
    shell:
        "{params.py} text-year --mdna-dir {params.mdna_dir} --year {wildcards.year} --dictionaries {params.dictionaries}"
        " --negation-window {params.window} --out {output} > {log} 2>&1"


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
        "{params.py} text-combine --out {output} {input.shards} > {log} 2>&1"
