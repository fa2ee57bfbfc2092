"""Command line used by the Snakemake rules: one subcommand per rule, each calling one library function.

Imports are lazy so a rule pays only for the modules it uses.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from srdi.job_files import json_arg

Handler = Callable[[argparse.Namespace], None]


def _demo(a: argparse.Namespace) -> None:
    if a.part == "all":
        from srdi.demo import generate_demo

        generate_demo(a.out_dir, scale=a.scale, seed=a.seed, texts=a.texts)
        return
    if not a.record:
        raise SystemExit("srdi demo --part tables|texts needs --record (the part's file list, for demo-manifest)")
    from srdi.demo.parts import generate_part

    generate_part(a.out_dir, a.part, a.record, scale=a.scale, seed=a.seed, texts=a.texts)


def _demo_manifest(a: argparse.Namespace) -> None:
    from srdi.demo.parts import write_manifest

    write_manifest(a.out_dir, a.records)


def _ingest(a: argparse.Namespace) -> None:
    from srdi.ingest import ingest_raw

    ingest_raw(a.raw_dir, a.mapping, a.out_dir)


def _base_panel(a: argparse.Namespace) -> None:
    from srdi.ingest import build_base_panel

    build_base_panel(a.interim_dir, a.out, aliases=a.aliases or None, match_report_path=a.match_report)


def _text_count(a: argparse.Namespace) -> None:
    from srdi.text import count_years

    dictionaries = dict(item.split("=", 1) for item in a.dictionaries)
    count_years(a.mdna_dir, a.years, dictionaries, a.out, negation={"window": a.negation_window}, scope=a.scope)


def _text_combine(a: argparse.Namespace) -> None:
    from srdi.text import combine_shards

    combine_shards(a.shards, a.out)


def _panel(a: argparse.Namespace) -> None:
    from srdi.panel import build_panel

    build_panel(a.base, a.text, a.out, a.codebook, a.tables_dir, json_arg(a.settings))


def _import_panel(a: argparse.Namespace) -> None:
    from srdi.panel import write_imported_panel

    write_imported_panel(a.input, a.entity, a.time, a.out, a.codebook, json_arg(a.model_columns))


def _describe(a: argparse.Namespace) -> None:
    from srdi.describe import write_describe

    write_describe(a.panel, a.variables, a.tables_dir, json_arg(a.sample_model))


def _estimate(a: argparse.Namespace) -> None:
    from srdi.models import draws, run_models

    if bool(a.shard) != bool(a.draws_out) or (not a.shard and not a.out_dir):
        raise SystemExit("srdi estimate: give --out-dir, or --shard with --draws-out")
    plan = None
    if a.shard:
        shard, shards = (int(v) for v in a.shard.split("/"))
        plan = draws.DrawPlan(shard=shard, shards=shards)
    elif a.draws:
        plan = draws.read_shards(a.draws)
    run_models(a.panel, json_arg(a.specs), json_arg(a.seeds), a.entity, a.time, a.out_dir, plan)
    if plan is not None and plan.shard is not None:
        draws.write_shard(a.draws_out, plan, plan.shards)


def _provenance(a: argparse.Namespace) -> None:
    from srdi.provenance import write_provenance

    write_provenance(json_arg(a.config_json), a.inputs, a.outputs, a.out)


def _tables(a: argparse.Namespace) -> None:
    from srdi.report.plan import planned_tables
    from srdi.report.tables import write_describe_tables, write_regression_table

    config = json_arg(a.config_json)
    for name in planned_tables(config):
        write_regression_table(config, name, a.estimates_dir, a.codebook, a.provenance, a.out_dir)
    write_describe_tables(config, a.tables_dir, a.codebook, a.provenance, a.out_dir)


def _figures(a: argparse.Namespace) -> None:
    from srdi.report.figures import write_figures

    write_figures(json_arg(a.config_json), a.estimates_dir, a.codebook, a.truth, a.out_dir)


def _report(a: argparse.Namespace) -> None:
    from srdi.report.html_report import write_report

    write_report(json_arg(a.config_json), a.tables_dir, a.figures_dir, a.estimates_dir, a.codebook,
                 a.provenance, a.captions, a.template, a.out)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m srdi", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.set_defaults(handler=handler)
        return p

    p = add("demo", _demo, "generate the synthetic demo raw tables and truth.json")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--scale", default="default")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--texts", default="short", choices=["short", "realistic"])
    p.add_argument("--part", default="all", choices=["all", "tables", "texts"],
                   help="all (default): the whole folder; tables or texts: one part, as the workflow's two "
                        "parallel jobs write it (then demo-manifest)")
    p.add_argument("--record", help="with --part: where to write the part's file list with hashes")

    p = add("demo-manifest", _demo_manifest, "write the demo's manifest.json from its parts' records")
    p.add_argument("--out-dir", required=True)
    p.add_argument("records", nargs=2, help="the two parts' records (srdi demo --part ... --record)")

    p = add("ingest", _ingest, "read, map and validate the raw tables into interim parquet files")
    p.add_argument("--raw-dir", required=True)
    p.add_argument("--mapping", required=True)
    p.add_argument("--out-dir", required=True)

    p = add("base-panel", _base_panel, "merge the interim tables into a firm-year panel")
    p.add_argument("--interim-dir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--aliases", default="", help="large-firm alias list (CSV); empty: the shipped list")
    p.add_argument("--match-report", default=None, help="where to write the partner match report (CSV)")

    p = add("text-count", _text_count, "count dictionary keywords in some years' annual-report texts")
    p.add_argument("--mdna-dir", required=True)
    p.add_argument("--years", type=int, nargs="+", required=True)
    p.add_argument("--scope", default="report", choices=["report", "mdna"])
    p.add_argument("--dictionaries", nargs="+", required=True, metavar="NAME=PATH")
    p.add_argument("--negation-window", type=int, default=5)
    p.add_argument("--out", required=True)

    p = add("text-combine", _text_combine, "concatenate the per-year text shards")
    p.add_argument("--out", required=True)
    p.add_argument("shards", nargs="+")

    p = add("panel", _panel, "build the analysis panel and its codebook")
    p.add_argument("--base", required=True)
    p.add_argument("--text", required=True)
    p.add_argument("--settings", required=True, help="the config's panel section as JSON, or @<file>")
    p.add_argument("--out", required=True)
    p.add_argument("--codebook", required=True)
    p.add_argument("--tables-dir", required=True)

    p = add("import-panel", _import_panel, "import a user's ready firm-year panel")
    p.add_argument("--in", dest="input", required=True)
    p.add_argument("--entity", required=True)
    p.add_argument("--time", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--codebook", required=True)
    p.add_argument("--model-columns", default="{}", help="JSON object (or @<file>): column -> the models that use it")

    p = add("describe", _describe, "descriptive statistics and correlation matrix of the sample")
    p.add_argument("--panel", required=True)
    p.add_argument("--variables", nargs="+", required=True)
    p.add_argument("--tables-dir", required=True)
    p.add_argument("--sample-model", default="null",
                   help="JSON (or @<file>) {name, spec, entity, time}: the model whose estimation sample is described")

    p = add("estimate", _estimate, "estimate named models in one process; one tidy estimates file per model")
    p.add_argument("--panel", required=True)
    p.add_argument("--specs", required=True, help="JSON object (or @<file>): model name -> its config entry")
    p.add_argument("--seeds", required=True, help="JSON object (or @<file>): model name -> seed of its random steps")
    p.add_argument("--entity", required=True)
    p.add_argument("--time", required=True)
    p.add_argument("--out-dir", help="folder of the estimates files (not with --shard)")
    p.add_argument("--shard", help="i/n: compute only draw shard i (0-based) of n of every resampling step")
    p.add_argument("--draws-out", help="with --shard: the npz file of the shard's draws")
    p.add_argument("--draws", nargs="+", help="the n shard files: fit using their draws (the combine step)")

    p = add("provenance", _provenance, "record config, input hashes, versions and commit")
    p.add_argument("--config-json", required=True, help="the config as JSON, or @<file> holding it")
    p.add_argument("--inputs", nargs="+", required=True, help="input files or folders to hash")
    p.add_argument("--out", required=True)
    p.add_argument("outputs", nargs="*")

    p = add("tables", _tables, "render every regression table of tables.regressions and the descriptive tables "
            "(sample construction, descriptives, correlations) in every format")
    p.add_argument("--config-json", required=True, help="the config as JSON, or @<file> holding it")
    p.add_argument("--estimates-dir", required=True)
    p.add_argument("--tables-dir", required=True, help="where the describe step wrote its CSV tables")
    p.add_argument("--codebook", required=True)
    p.add_argument("--provenance", required=True)
    p.add_argument("--out-dir", required=True)

    p = add("figures", _figures, "draw the figures the config's models allow (PNG and PDF)")
    p.add_argument("--config-json", required=True, help="the config as JSON, or @<file> holding it")
    p.add_argument("--estimates-dir", required=True)
    p.add_argument("--codebook", required=True)
    p.add_argument("--truth", default=None, help="the demo's truth.json (demo mode only)")
    p.add_argument("--out-dir", required=True)

    p = add("report", _report, "write the self-contained HTML report")
    p.add_argument("--config-json", required=True, help="the config as JSON, or @<file> holding it")
    p.add_argument("--tables-dir", required=True)
    p.add_argument("--figures-dir", required=True)
    p.add_argument("--estimates-dir", required=True)
    p.add_argument("--codebook", required=True)
    p.add_argument("--provenance", required=True)
    p.add_argument("--captions", required=True)
    p.add_argument("--template", required=True)
    p.add_argument("--out", required=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    try:
        args.handler(args)
    except (ValueError, FileNotFoundError) as err:
        # Input and specification errors: the message is the whole story, a traceback only hides it.
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0
