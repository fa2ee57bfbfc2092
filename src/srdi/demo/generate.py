"""Entry point: simulate, build every raw table of docs/raw_tables.md, write them atomically with truth."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from srdi.demo import keywords as kw
from srdi.demo import messy
from srdi.demo import names as nm
from srdi.demo.dgp import MISSING_REPORT_SHARE, NEG_RATES, OVERLAP_SHARE, Sim, simulate
from srdi.demo.did_truth import did_truth
from srdi.demo.firms import make_firms
from srdi.demo.folder import (
    PARTS,
    check_replaceable,
    remove_stale_siblings,
    write_listings,
)
from srdi.demo.params import (
    CBAR_SCALE,
    DESIG_YEARS,
    DID_DIMENSIONS,
    DIMENSIONS,
    ENV_CENTER,
    ENV_SCALE,
    all_params,
)
from srdi.demo.relations import build_relations
from srdi.demo.scales import BURN_IN, Scale, get_scale
from srdi.demo.sme_truth import sme_class
from srdi.demo.statements import build_statements
from srdi.demo.tables import (
    governance_table,
    large_firm_table,
    ownership_natures,
    ownership_table,
)
from srdi.demo.texts import LENGTHS, report_versions
from srdi.demo.writers import sha256_file, write_csmar_csv, write_plain_csv, write_xlsx

# Random-stream names in a fixed order: each component gets its own child of SeedSequence(seed), so adding a
# component at the end never changes the others' draws.
COMPONENTS: tuple[str, ...] = (
    "firms", "effects", "env", "channels", "chain", "digital", "mentions", "outcomes", "designation",
    "finance", "st", "ownership", "governance", "statements", "names", "relations", "texts", "messy", "moves",
)

# Latent firm-year columns written to truth_latent.parquet (see docs/demo_dgp.md for definitions).
LATENT_COLUMNS: tuple[str, ...] = (
    "eta", "z", "innov_env", "env_c", "env_c_lag1",
    "m_collab", "m_data", "m_chain", "m_eco",
    "n_collab", "n_data_pos", "n_data_pos_overlap", "n_eco_pos",
    "n_dt_pos", "n_dt_pos_ai", "n_dt_pos_bigdata", "n_dt_pos_cloud", "n_dt_pos_blockchain", "n_dt_pos_application",
    "n_dt_neg", "n_dt_neg_plain", "n_data_neg", "n_data_neg_overlap", "n_eco_neg",
    "cus_large_share", "sup_large_share",
    "ci_collab", "ci_data", "ci_chain", "ci_eco", "cbar", "d_star", "digital",
    "ci_collab_lag1", "ci_data_lag1", "ci_chain_lag1", "ci_eco_lag1", "cbar_lag1", "digital_lag1",
    "alpha_digital", "lambda_digital",
    *(f"{prefix}_{d}{suffix}" for d, _ in DIMENSIONS for prefix, suffix in
      (("srdi", ""), ("srdi", "_star"), ("alpha", ""), ("lambda", ""), ("e", ""))),
    "desig_index", "designated", "batch_year", "desig_tau", *(f"srdi_{d}_untreated" for d in DID_DIMENSIONS),
    "st", "lev", "revenue", "total_assets", "employees",
)


def _streams(seed: int) -> dict[str, np.random.Generator]:
    children = np.random.SeedSequence(seed).spawn(len(COMPONENTS))
    return {name: np.random.default_rng(child) for name, child in zip(COMPONENTS, children, strict=True)}


def _latent_frame(sim: Sim) -> pd.DataFrame:
    ii, kk = np.nonzero(sim.written)
    cols: dict[str, Any] = {
        "Stkcd": sim.firms["Stkcd"].to_numpy()[ii],
        "year": sim.years[kk].astype(np.int64),
        "has_report": sim.a["has_report"][ii, kk],
        "is_finance": sim.firms["is_finance"].to_numpy()[ii],
        "industry": sim.a["industry"][ii, kk],
        "province": sim.a["province"][ii, kk],
    }
    for c in LATENT_COLUMNS:
        cols[c] = sim.a[c][ii, kk]
    cols["sme"] = sme_class(cols["industry"], cols["employees"], cols["revenue"], cols["total_assets"])
    out = pd.DataFrame(cols)
    out["st"] = out["st"].astype(str)
    return out.sort_values(["Stkcd", "year"], kind="stable").reset_index(drop=True)


def _estimands(params: dict) -> list[dict[str, Any]]:
    """The hypothesis-level targets (docs/demo_dgp.md, "Estimands"), ready to compare with estimates."""
    v = {k: float(p.value) for k, p in params.items()}
    fe = "firm + year"
    out: list[dict[str, Any]] = []
    for d, c in DIMENSIONS:
        y = f"srdi_{d}"
        out += [
            {"hypothesis": "H2", "outcome": y, "term": f"ci_{c}", "lag": 1, "fixed_effects": fe,
             "value": v[f"beta_{d}_{c}"], "parameter": f"beta_{d}_{c}"},
            {"hypothesis": "H3-b", "outcome": y, "term": "digital", "lag": 1, "fixed_effects": fe,
             "value": v[f"theta_{d}_digital"], "parameter": f"theta_{d}_digital"},
            {"hypothesis": "H3-indirect", "outcome": y, "term": "cbar -> digital -> " + y, "lag": 1,
             "fixed_effects": fe, "value": v["a_digital_cbar"] * v[f"theta_{d}_digital"],
             "parameter": f"a_digital_cbar * theta_{d}_digital",
             # each link takes a year in the DGP: a mediation model recovers a*theta with `timing: lagged`
             "timing": "lagged: cbar(t-2) -> digital(t-1) -> outcome(t)"},
            {"hypothesis": "H4", "outcome": y, "term": f"ci_{c} x env_c", "lag": 1, "fixed_effects": fe,
             "value": v[f"delta_{d}_{c}_x_env"], "parameter": f"delta_{d}_{c}_x_env"},
        ]
    out.append({"hypothesis": "H3-a", "outcome": "digital", "term": "cbar", "lag": 1, "fixed_effects": fe,
                "value": v["a_digital_cbar"], "parameter": "a_digital_cbar"})
    out.append({"hypothesis": "H1-designation", "outcome": "designation latent index", "term": "coinnov_capability",
                "lag": None, "fixed_effects": "", "value": v["desig_coinnov"], "parameter": "desig_coinnov"})
    return out


def _truth(sim: Sim, seed: int, scale: Scale, latent: pd.DataFrame) -> dict[str, Any]:
    params = all_params()
    written = sim.written
    return {
        "seed": seed,
        "scale": scale.name,
        "n_firms": len(sim.firms),
        "n_firm_years": int(written.sum()),
        "years": scale.years,
        "burn_in_years": BURN_IN,
        "parameters": {k: p.to_json() for k, p in sorted(params.items())},
        "estimands": _estimands(params),
        "cbar_scale": CBAR_SCALE,
        "env_center": ENV_CENTER,
        "env_scale": ENV_SCALE,
        "designation_standardize": {d: {"term": f"alpha_{d}", "center": 0.0,
                                        "scale": params[f"sd_alpha_{d}"].value} for d, _ in DIMENSIONS},
        "designation_years": list(DESIG_YEARS),
        "dimension_channel": {f"srdi_{d}": f"ci_{c}" for d, c in DIMENSIONS},
        "controls_in_outcome_equations": {
            "coefficient": 0.0,
            "note": "size, lev, growth, age, top1, board, indep, dual, soe and cashflow do not enter any outcome "
                    "equation; roa = srdi_refine x revenue / assets is mechanically tied to srdi_refine (use lagged)",
        },
        "shares": {
            "missing_report": float(1.0 - sim.a["has_report"][written].mean()),
            "missing_report_target": MISSING_REPORT_SHARE,
            "clipped": {f"srdi_{k}": v for k, v in sim.clipped_share.items()},
            "finance_firms": float(sim.firms["is_finance"].mean()),
            "st_firm_years": float((sim.a["st"][written] != "").mean()),
            "lev_above_one_firm_years": float((sim.a["lev"][written] > 1).mean()),
            "loss_firm_years": float((sim.a["srdi_refine"][written] < 0).mean()),
            "designated_firms": float((sim.a["batch_year"][:, 0] > 0).mean()),
            "delisted_firms": float((sim.firms["delist_year"] > 0).mean()),
            "env_c_lag1_mean": float(sim.a["env_c_lag1"][written].mean()),
            "sme_firm_years": float(latent["sme"].mean()),  # among non-finance firm-years
        },
        "sme_rule": "sme = 1 if employees, revenue or total assets are below a bound of the firm-year's "
                    "industry in 工信部联企业〔2011〕300号 (src/srdi/demo/sme_truth.py), 0 if not, missing for "
                    "finance (J); column sme of truth_latent.parquet",
        "text": {
            "dictionaries": {
                "dt": {g: list(t) for g, t in kw.DT_GROUPS},
                "ci_data": list(kw.CI_DATA_TERMS),
                "ci_eco": list(kw.CI_ECO_TERMS),
            },
            "dt_group_labels": dict(zip(kw.DT_GROUP_LABELS, [g for g, _ in kw.DT_GROUPS], strict=True)),
            "negation_cues": list(kw.NEGATION_CUES),
            "sentence_delimiters": kw.SENTENCE_DELIMITERS,
            "counting_rule": "per dictionary, non-overlapping, leftmost longest match; a mention is negated when "
                             "a cue occurs before it in the same sentence; 工业互联网平台 counts once for ci_data "
                             "and its 工业互联网 once for dt (group 数字技术运用)",
            "negation_rates": NEG_RATES,
            "overlap_share": OVERLAP_SHARE,
        },
        "partner_rules": {
            "large": "applicant/customer/supplier name equal to a Name in LargeEnterprises.csv",
            "institute_markers": list(nm.PARTNER_MARKERS_INSTITUTE),
            "university_markers": list(nm.PARTNER_MARKERS_UNIVERSITY),
            "ci_collab": "ln(1 + number of applications in AppDate year t whose Applicants include a large "
                         "enterprise, a university or an institute besides the listed firm)",
            "ci_chain": "(sum Ratio of large customers + sum Ratio of large suppliers, FN_TopCusSup.csv) / 200",
        },
        "did": did_truth(sim, params),
        "latent_file": "truth_latent.parquet",
        "latent_columns": list(latent.columns),
    }


def _write_tables(out: Path, sim: Sim, streams: dict[str, np.random.Generator], seed: int) -> list[str]:
    """Build and write every raw table, truth_latent.parquet and truth.json into `out`; returns their relative
    paths. Draws from every stream but "texts" (the report texts are the other part, _write_texts)."""
    written: list[str] = []

    def csmar(name: str, frame: pd.DataFrame, encoding: str) -> None:
        write_csmar_csv(out / name, frame, encoding)
        written.append(name)

    def plain(name: str, frame: pd.DataFrame) -> None:
        write_plain_csv(out / name, frame)
        written.append(name)

    rng = streams["messy"]  # every export quirk (messy.py) draws from this stream only
    sim.a["nature"] = ownership_natures(streams["ownership"], sim)
    trd, info = messy.firm_tables(rng, sim)
    csmar("TRD_Co.csv", trd, "gb18030")
    plain("STK_LISTEDCOINFOANL.csv", info)
    own = ownership_table(sim)
    own["EquityNature"] = messy.ownership_values(rng, own["EquityNature"].to_numpy())
    write_xlsx(out / "EN_EquityNatureAll.xlsx", own)
    written.append("EN_EquityNatureAll.xlsx")
    plain("STK_STInfo.csv", messy.st_events(rng, sim))
    fs = build_statements(streams["statements"], sim)
    fs["income"], rd_rows = messy.income_rd(rng, fs["income"])
    fs["income"] = messy.blank(rng, fs["income"], "B001209000", messy.RATES["selling_blank"])
    fs["balance"] = messy.blank(rng, fs["balance"], "A001218000", messy.RATES["intangible_blank"])
    plain("PT_LCRDSPENDING.csv", messy.rd_table(rng, rd_rows))
    years = list(sim.scale.years)
    for stem, key, encoding in (("FS_Combas", "balance", "gb18030"), ("FS_Comins", "income", "gb18030"),
                                ("FS_Comscfd", "cashflow", "utf-8-sig")):
        for j, (infix, part) in enumerate(messy.split_by_years(fs[key], "Accper", years)):
            name = f"{stem}_{infix}.csv"
            write_csmar_csv(out / name, part, encoding, lower=key == "income" and j == 1)
            written.append(name)
    csmar("FN_MainBusiness.csv", fs["main_business"], "utf-8")
    csmar("CG_Ybasic.csv", governance_table(streams["governance"], sim), "utf-8")
    ordinary = nm.ordinary_company_names(streams["names"], max(600, 3 * len(sim.firms)))
    rel = build_relations(streams["relations"], sim, ordinary)
    plain("FN_TopCusSup.csv", rel["top5"])
    plain("CNRDS_Patent.csv", rel["patents"])
    unlisted = nm.ordinary_company_names(rng, int(1.2 * messy.RATES["unlisted_per_listed"] * len(sim.firms)))
    giants, subsidiaries = messy.little_giants(rng, sim, unlisted)
    plain("SRDI_LittleGiants.csv", giants)
    plain("FN_Subsidiary.csv", subsidiaries)
    plain("Province_InnovEnv.csv", messy.innovation_index(rng, sim.env))
    plain("LargeEnterprises.csv", large_firm_table())
    latent = _latent_frame(sim)
    latent.to_parquet(out / "truth_latent.parquet", index=False, engine="pyarrow")
    written.append("truth_latent.parquet")
    truth = _truth(sim, seed, sim.scale, latent)
    (out / "truth.json").write_text(json.dumps(truth, sort_keys=True, indent=2, ensure_ascii=False) + "\n",
                                    encoding="utf-8")
    written.append("truth.json")
    return written


def write_part(part: str, out: Path, sim: Sim, streams: dict[str, np.random.Generator], seed: int, texts: str,
               digests: dict[str, tuple[str, int]]) -> list[str]:
    """Write one part of the demo (folder.PARTS) into `out`; returns its relative paths, every one with its
    sha256 and size in `digests`. The parts draw from disjoint streams and only read `sim`, so each gives the
    same bytes alone as with the other."""
    if part == "tables":
        files = _write_tables(out, sim, streams, seed)
        digests.update({p: (sha256_file(out / p), (out / p).stat().st_size) for p in files})
        return files
    if part == "texts":
        return _write_texts(out, sim, streams["texts"], texts, digests)
    raise ValueError(f"demo part must be one of {list(PARTS)}, got {part!r}")


_COUNT_KEYS = ("n_dt_pos_ai", "n_dt_pos_bigdata", "n_dt_pos_cloud", "n_dt_pos_blockchain", "n_dt_pos_application",
               "n_data_pos", "n_data_pos_overlap", "n_eco_pos", "n_dt_neg_plain", "n_data_neg",
               "n_data_neg_overlap", "n_eco_neg")


def _write_texts(out: Path, sim: Sim, rng: np.random.Generator, length: str,
                 digests: dict[str, tuple[str, int]]) -> list[str]:
    """Annual-report texts, every version of a firm-year (mdna/<code>_<year>[_<version>].txt)."""
    (out / "mdna").mkdir()
    ii, kk = np.nonzero(sim.written & sim.a["has_report"])
    order = np.lexsort((kk, sim.firms["Stkcd"].to_numpy()[ii]))
    codes = sim.firms["Stkcd"].to_numpy()
    inds = sim.firms["Nnindnme"].to_numpy()
    firms = sim.firms["Conme"].to_numpy()
    arrays = {k: sim.a[k][ii, kk] for k in _COUNT_KEYS}
    paths = []
    base = os.fspath(out)
    for j in order:
        counts = {k: int(arrays[k][j]) for k in _COUNT_KEYS}
        year = int(sim.years[kk[j]])
        for tag, text in report_versions(rng, counts, year, inds[ii[j]], firms[ii[j]], length).items():
            rel = f"mdna/{codes[ii[j]]}_{year}{'_' + tag if tag else ''}.txt"
            data = text.encode("utf-8")
            with open(os.path.join(base, rel), "wb") as fh:
                fh.write(data)
            digests[rel] = (hashlib.sha256(data).hexdigest(), len(data))
            paths.append(rel)
    return paths


def simulate_demo(scale: Scale, seed: int) -> tuple[Sim, dict[str, np.random.Generator]]:
    """The latent DGP of one demo draw and its random streams (about 0.2 s at the default scale, so each part
    of the demo recomputes it rather than reading it from another process)."""
    streams = _streams(int(seed))
    return simulate(streams, scale, make_firms(streams["firms"], scale), all_params()), streams


def simulate_latent(scale: str = "tiny", seed: int = 20250403) -> pd.DataFrame:
    """The firm-year latent table of one demo draw (truth_latent.parquet's content) without writing any file.

    For Monte Carlo studies: the proxies the pipeline builds from the raw tables equal these columns exactly
    (tests/test_proxies_demo.py), so estimators can be replicated on many draws cheaply.
    """
    return _latent_frame(simulate_demo(get_scale(scale), seed)[0])


def check_texts(texts: str) -> None:
    if texts not in LENGTHS:
        raise ValueError(f"demo texts must be one of {list(LENGTHS)}, got {texts!r}")


def generate_demo(out_dir: str | os.PathLike[str], scale: str = "default", seed: int = 20250403,
                  texts: str = "short") -> dict:
    """Write the synthetic raw tables, annual-report texts, truth.json and manifest.json to `out_dir`; return
    the manifest. `texts`: short (about 2,000 characters a report) or realistic (MD&A 15,000-40,000).

    Everything is written to a temporary sibling directory first and renamed onto `out_dir` at the end, so a
    crash never leaves partial output. An existing `out_dir` is replaced only if it holds nothing but an earlier
    demo's files (those its ownership record lists): a folder with anything else in it may be a user's own data.
    The workflow writes the same files as two parallel jobs instead (srdi.demo.parts).
    """
    sc = get_scale(scale)
    check_texts(texts)
    out_dir = Path(out_dir)
    check_replaceable(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_siblings(out_dir)
    sim, streams = simulate_demo(sc, seed)

    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        os.chmod(tmp, 0o755)
        digests: dict[str, tuple[str, int]] = {}
        for part in PARTS:
            write_part(part, tmp, sim, streams, int(seed), texts, digests)
        manifest = write_listings(tmp, int(seed), sc.name, texts, digests)
        trash = None
        if out_dir.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".old", dir=out_dir.parent))
            os.replace(out_dir, trash / "old")
        os.replace(tmp, out_dir)
        if trash is not None:
            shutil.rmtree(trash, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest
