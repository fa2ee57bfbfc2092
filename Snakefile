# srdi-pipeline: raw exports (or the synthetic demo) -> validated tables -> text measures -> firm-year panel
# -> one estimates file per model -> tables, figures and the HTML report. Only config loading, includes and the
# final targets live here.

configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/demo.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/text.smk"
include: "workflow/rules/panel.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        PANEL,
        CODEBOOK,
        f"{TABLES}/descriptives.csv",
        expand(ESTIMATE, name=sorted(config["models"])),
        PROVENANCE,
        PUBLICATION,
        REPORT,
    default_target: True
