# The analysis panel: built from the ingested tables and text measures, or imported from the user's own file.

if SOURCE == "panel":

    rule import_panel:
        output:
            panel=PANEL,
            codebook=CODEBOOK,
        input:
            panel=config["data"]["panel_file"],
            code=code("panel"),
        log:
            f"{LOGS}/import_panel.log",
        shell:
            "{PY} import-panel --in {input.panel} --entity {ENTITY} --time {TIME}"
            " --out {output.panel} --codebook {output.codebook} > {log} 2>&1"

else:

    rule panel:
        output:
            panel=PANEL,
            codebook=CODEBOOK,
            weights=f"{TABLES}/index_weights.csv",
            sample=f"{TABLES}/sample_construction.csv",
        input:
            base=BASE_PANEL,
            text=TEXT_MEASURES,
            code=code("panel"),
        log:
            f"{LOGS}/panel.log",
        params:
            settings=json.dumps(config["panel"], sort_keys=True),
        shell:
            "{PY} panel --base {input.base} --text {input.text} --settings {params.settings:q}"
            " --out {output.panel} --codebook {output.codebook} --tables-dir {TABLES} > {log} 2>&1"


rule describe:
    output:
        descriptives=f"{TABLES}/descriptives.csv",
        correlations=f"{TABLES}/correlations.csv",
    input:
        panel=PANEL,
        code=code("describe"),
    params:
        variables=" ".join(config["describe"]["variables"]),
    log:
        f"{LOGS}/describe.log",
    shell:
        "{PY} describe --panel {input.panel} --variables {params.variables} --tables-dir {TABLES} > {log} 2>&1"
