"""Per-report counts and firm-year measures; one parquet shard per text job (a set of years), then one table.

Missing stays missing: a firm-year without a report file, with an empty one (0 bytes, or only whitespace and
byte-order marks) or with one that decodes as neither UTF-8 nor GB18030 has no row, so a later merge gives NaN,
never a zero that would read as "no digital words".
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from srdi.atomic import write_json, write_parquet
from srdi.text.decode import read_report
from srdi.text.dictionary import Dictionary, fold_ascii, load_dictionary
from srdi.text.matcher import Hit, Matcher
from srdi.text.negation import NegationRule
from srdi.text.repair import SCOPES, Scope, repair_batch
from srdi.text.scan import TrieScanner
from srdi.text.scan import code_points as scan_code_points
from srdi.text.versions import FILE_NAME, choose_versions

log = logging.getLogger(__name__)

REPORT_ATTR = "text_report"
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
PER_CHARS = 10_000  # intensity = hits per this many characters


def is_blank(text: str) -> bool:
    """True for a report with no text: only whitespace (ideographic spaces included) and BOMs. Such a file is a
    failed extraction, not a report without keywords, so it must give missing measures, not zeros."""
    return not text.replace("\ufeff", "").strip()


class TextCounter:
    """Dictionaries, matcher(s) and negation rules built once, then applied to every report.

    `dictionaries` maps a measure name (the ln index column, e.g. ``digital``) to a loaded dictionary, whose
    `count_prefix` names the count columns (e.g. ``dt_total``). backend="trie" is the vectorised scan;
    "ahocorasick" matches each dictionary with its own pyahocorasick automaton (slower; same results).
    """

    def __init__(
        self,
        dictionaries: Mapping[str, Dictionary],
        negation: NegationRule | None = None,
        backend: str = "trie",
    ) -> None:
        if not dictionaries:
            raise ValueError("at least one dictionary is needed")
        for key in dictionaries:
            if not _KEY.match(key):
                raise ValueError(f"measure name {key!r} must be an identifier (letters, digits, _)")
        self.keys = list(dictionaries)
        self.dicts = [dictionaries[k] for k in self.keys]
        base = negation or NegationRule()
        self.rules = [base.with_exclusions(t for g in d.groups for t in g.terms) for d in self.dicts]
        self.group_of = [[gi for gi, g in enumerate(d.groups) for _ in g.terms] for d in self.dicts]
        if backend == "trie":
            self._scanner: TrieScanner | None = TrieScanner(self.dicts)
            self._matchers: list[Matcher] = []
        elif backend == "ahocorasick":
            self._scanner = None
            self._matchers = [Matcher(d) for d in self.dicts]
        else:
            raise ValueError(f"unknown backend {backend!r}")
        self.count_columns = ["text_chars"]
        self.measure_columns: list[str] = []
        for key, d in zip(self.keys, self.dicts, strict=True):
            self.count_columns += d.count_columns()
            self.measure_columns += d.measure_columns(key)
        cols = ["stkcd", "year", "encoding", *self.count_columns, *self.measure_columns]
        dupes = sorted(c for c, n in Counter(cols).items() if n > 1)
        if dupes:
            raise ValueError(f"dictionaries give clashing column names {dupes}; change count_prefix or key")
        self.columns = cols

    def hits(self, text: str) -> list[list[Hit]]:
        """Per dictionary, the longest-leftmost hits (start, end, term index) before negation."""
        if self._scanner is not None:
            return self._scanner.scan(text)
        folded = fold_ascii(text)
        return [m.find(folded) for m in self._matchers]

    def count(self, text: str) -> dict[str, int]:
        """Counts of one report: per group, total, negated, and its length in characters."""
        return self._row(text, self.hits(text), 0, len(text))

    def count_many(self, texts: Sequence[str]) -> list[dict[str, int]]:
        """count() of each text, scanning them as one buffer (same results, far fewer numpy calls)."""
        starts: list[int] = []
        pos = 0
        for t in texts:
            starts.append(pos)
            pos += len(t) + 1
        return self.count_buffer("\n".join(texts) + "\n", starts, [len(t) for t in texts])

    def count_buffer(self, buffer: str, starts: Sequence[int], lengths: Sequence[int],
                     code_points: np.ndarray | None = None) -> list[dict[str, int]]:
        """Counts of the reports buffer[start:start + length], each followed by a line break. `code_points`:
        the buffer's (scan.code_points), when the caller has them. The same rows as count() of each report:
        hits are selected and counted with numpy, and only hits with a negation word's first character in
        their window (NegationRule.may_negate) are checked one by one."""
        if self._scanner is None:
            return [self.count(buffer[a:a + n]) for a, n in zip(starts, lengths, strict=True)]
        cp = code_points if code_points is not None else scan_code_points(buffer)
        hits = self._scanner.hits_many(buffer, starts, cp)
        lo = np.asarray(starts, dtype=np.int64)
        n_docs = lo.size
        rows: list[dict[str, int]] = [{"text_chars": int(n)} for n in lengths]
        for di, (d, rule, group_of) in enumerate(zip(self.dicts, self.rules, self.group_of, strict=True)):
            mine = hits.dictionary == di
            doc, start = hits.doc[mine], hits.start[mine]
            group = np.asarray(group_of, dtype=np.int64)[hits.term[mine]]
            negated = rule.may_negate(cp, start, lo[doc])
            for i in np.flatnonzero(negated).tolist():
                negated[i] = rule.is_negated(buffer, int(start[i]), int(lo[doc[i]]))
            n_groups = len(d.groups)
            cell = doc * n_groups + group
            kept = np.bincount(cell[~negated], minlength=n_docs * n_groups).reshape(n_docs, n_groups)
            neg = np.bincount(cell[negated], minlength=n_docs * n_groups).reshape(n_docs, n_groups)
            p = d.count_prefix
            names = [(f"{p}_{g.gid}", f"{p}_neg_{g.gid}") for g in d.groups] if n_groups > 1 else []
            for row, k_row, n_row, k_sum, n_sum in zip(rows, kept.tolist(), neg.tolist(), kept.sum(1).tolist(),
                                                       neg.sum(1).tolist(), strict=True):
                for (k_name, n_name), k, n in zip(names, k_row, n_row, strict=False):
                    row[k_name] = k
                    row[n_name] = n
                row[f"{p}_total"] = k_sum
                row[f"{p}_neg"] = n_sum
        return rows

    def _row(self, text: str, per_dict: list[list[Hit]], lo: int, n_chars: int) -> dict[str, int]:
        row: dict[str, int] = {"text_chars": n_chars}
        for d, rule, group_of, hits in zip(self.dicts, self.rules, self.group_of, per_dict, strict=True):
            kept = [0] * len(d.groups)
            neg = [0] * len(d.groups)
            for start, _end, term in hits:
                if rule.is_negated(text, start, lo):
                    neg[group_of[term]] += 1
                else:
                    kept[group_of[term]] += 1
            p = d.count_prefix
            if len(d.groups) > 1:
                for g, k, n in zip(d.groups, kept, neg, strict=True):
                    row[f"{p}_{g.gid}"] = k
                    row[f"{p}_neg_{g.gid}"] = n
            row[f"{p}_total"] = sum(kept)
            row[f"{p}_neg"] = sum(neg)
        return row

    def frame(self, rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
        """Rows of counts (plus stkcd, year, encoding) -> a typed frame with the measures, fixed column order."""
        df = pd.DataFrame(list(rows), columns=["stkcd", "year", "encoding", *self.count_columns])
        df["stkcd"] = df["stkcd"].astype("str")
        df["encoding"] = df["encoding"].astype("str")
        df = df.astype({c: "int64" for c in ["year", *self.count_columns]})
        chars = df["text_chars"].to_numpy(dtype="float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            for key, d in zip(self.keys, self.dicts, strict=True):
                p = d.count_prefix
                total = df[f"{p}_total"].to_numpy(dtype="float64")
                df[f"{p}_intensity"] = np.where(chars > 0, total * PER_CHARS / chars, np.nan)
                df[key] = np.log1p(total)
                if len(d.groups) > 1:
                    for g in d.groups:
                        df[f"{key}_{g.gid}"] = np.log1p(df[f"{p}_{g.gid}"].to_numpy(dtype="float64"))
        df = df.sort_values(["stkcd", "year"], kind="stable").reset_index(drop=True)
        return df[self.columns]


def _sha256(path: str | os.PathLike[str]) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _dictionary_info(key: str, d: Dictionary) -> dict[str, Any]:
    return {
        "measure": key,
        "name": d.name,
        "version": d.version,
        "citation": d.citation,
        "path": d.path,
        "sha256": _sha256(d.path),
        "n_terms": d.n_terms,
        "count_prefix": d.count_prefix,
        "groups": {g.gid: g.label for g in d.groups},
    }


def _count_batch(counter: TextCounter, keys: list[dict[str, Any]], texts: list[str], year: int, scope: Scope,
                 no_heading: list[str]) -> list[dict[str, Any]]:
    """Repair and count one batch of a year's reports as one buffer."""
    if not texts:
        return []
    r = repair_batch(texts, [year] * len(texts), scope)
    no_heading += [k["file"] for k, f in zip(keys, r.found, strict=True) if not f]
    counts = counter.count_buffer(r.text, r.starts, r.lengths, r.code_points)
    return [{k: v for k, v in key.items() if k != "file"} | c for key, c in zip(keys, counts, strict=True)]


CHUNK_CHARS = 1_000_000  # characters per buffer: enough to amortise numpy call costs over short reports, small
# enough for the scan's arrays to stay in the CPU cache (a 16 M buffer ran 2x slower on report-length texts)


def count_years(
    mdna_dir: str | os.PathLike[str],
    years: Sequence[int],
    dictionaries: Mapping[str, str | os.PathLike[str]],
    out_path: str | os.PathLike[str],
    negation: Mapping[str, Any] | None = None,
    report_path: str | os.PathLike[str] | None = None,
    scope: Scope = "report",
) -> pd.DataFrame:
    """Count the reports of `years` in `mdna_dir` (one version per firm-year, see srdi.text.versions); write
    one parquet shard atomically. One process handles several years, so a run needs one job per core.

    `dictionaries`: measure name -> dictionary file (e.g. {"digital": "data/dictionaries/digital_wu2021.yaml"}).
    `negation`: overrides of window / words / exclusions / terminators (see srdi.text.negation).
    `scope`: "report" counts the whole annual report (Wu Fei et al. 2021), "mdna" only the MD&A section found by
    its era's heading (srdi.text.repair); either way PDF debris is repaired before matching.
    The run report (files read, versions dropped, undecodable files, encodings, dictionaries with hashes,
    negation settings) travels in the parquet's metadata (DataFrame.attrs["text_report"]) and, if
    `report_path` is given, as JSON.
    """
    years = sorted({int(y) for y in years})
    mdna = Path(mdna_dir)
    if not mdna.is_dir():
        raise FileNotFoundError(f"MD&A folder {mdna} does not exist")
    if scope not in SCOPES:
        raise ValueError(f"text scope must be one of {list(SCOPES)}, got {scope!r}")
    loaded = {key: load_dictionary(path) for key, path in dictionaries.items()}
    rule = NegationRule.from_config(negation)
    counter = TextCounter(loaded, rule)

    rows: list[dict[str, Any]] = []
    undecodable: list[str] = []
    empty: list[str] = []
    no_heading: list[str] = []
    dropped: Counter[str] = Counter()
    encodings: Counter[str] = Counter()
    wanted = set(years)  # other years' files are not parsed (a job reads 1/n of them); bad names are reported
    names = [n for n in os.listdir(mdna) if n.endswith(".txt")
             and ((m := FILE_NAME.match(n)) is None or int(m.group(2)) in wanted)]
    chosen, extra, skipped = choose_versions(mdna / n for n in sorted(names))
    for name in skipped:
        log.warning("skipping %s: name is not <6-digit stkcd>_<year>[_version].txt", name)
    dropped.update(v.kind for v in extra if v.year in years)
    for year in years:
        keys: list[dict[str, Any]] = []
        texts: list[str] = []
        size = 0
        for v in chosen:
            if v.year != year:
                continue
            decoded = read_report(v.path)
            if decoded is None:
                log.error("cannot decode %s as UTF-8 or GB18030; firm-year left missing", v.path)
                undecodable.append(v.path.name)
                continue
            if is_blank(decoded.text):
                log.warning("%s is empty (no text): firm-year left missing, as for a missing report", v.path)
                empty.append(v.path.name)
                continue
            encodings[decoded.encoding] += 1
            keys.append({"stkcd": v.stkcd, "year": year, "encoding": decoded.encoding, "file": v.path.name})
            texts.append(decoded.text)
            size += len(decoded.text)
            if size >= CHUNK_CHARS:
                rows += _count_batch(counter, keys, texts, year, scope, no_heading)
                keys, texts, size = [], [], 0
        rows += _count_batch(counter, keys, texts, year, scope, no_heading)
    if no_heading:
        log.warning("%d reports have no MD&A heading of any era; counted whole (first: %s)", len(no_heading),
                    no_heading[0])

    df = counter.frame(rows)
    report = {
        "years": years,
        "scope": scope,
        "n_files": len(rows) + len(undecodable) + len(empty),
        "n_rows": len(df),
        "versions_dropped": dict(sorted(dropped.items())),
        "no_mdna_heading": no_heading,
        "undecodable": undecodable,
        "skipped_names": skipped,
        "empty": empty,
        "encodings": dict(sorted(encodings.items())),
        "negated_hits": {k: int(df[f"{d.count_prefix}_neg"].sum()) for k, d in loaded.items()},
        "dictionaries": [_dictionary_info(k, d) for k, d in loaded.items()],
        "negation": rule.describe(),
    }
    df.attrs[REPORT_ATTR] = report
    log.info("years %s: %d reports counted, %d other versions dropped, %d empty, %d undecodable, %d skipped",
             years, len(df), sum(dropped.values()), len(empty), len(undecodable), len(skipped))
    write_parquet(out_path, df)
    if report_path is not None:
        write_json(report_path, report)
    return df


def count_year(
    mdna_dir: str | os.PathLike[str],
    year: int,
    dictionaries: Mapping[str, str | os.PathLike[str]],
    out_path: str | os.PathLike[str],
    negation: Mapping[str, Any] | None = None,
    report_path: str | os.PathLike[str] | None = None,
    scope: Scope = "report",
) -> pd.DataFrame:
    """count_years for one year."""
    return count_years(mdna_dir, [year], dictionaries, out_path, negation, report_path, scope)


def _merge_reports(reports: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    if not reports:
        return {}
    encodings: Counter[str] = Counter()
    negated: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    for r in reports:
        encodings.update(r.get("encodings", {}))
        dropped.update(r.get("versions_dropped", {}))
        negated.update(r.get("negated_hits", {}))
    first = reports[0]
    return {
        "years": sorted(y for r in reports for y in r.get("years", [])),
        "n_files": sum(r.get("n_files", 0) for r in reports),
        "n_rows": sum(r.get("n_rows", 0) for r in reports),
        "scope": first.get("scope", "report"),
        "versions_dropped": dict(sorted(dropped.items())),
        "no_mdna_heading": sorted(f for r in reports for f in r.get("no_mdna_heading", [])),
        "undecodable": sorted(f for r in reports for f in r.get("undecodable", [])),
        "skipped_names": sorted({f for r in reports for f in r.get("skipped_names", [])}),
        "empty": sorted(f for r in reports for f in r.get("empty", [])),
        "encodings": dict(sorted(encodings.items())),
        "negated_hits": dict(sorted(negated.items())),
        "dictionaries": first.get("dictionaries", []),
        "negation": first.get("negation", {}),
    }


def combine_shards(
    paths: Sequence[str | os.PathLike[str]],
    out_path: str | os.PathLike[str],
    report_path: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Concatenate year shards into one firm-year table (sorted by stkcd, year; key checked unique)."""
    if not paths:
        raise ValueError("no shards to combine")
    frames = [pd.read_parquet(p) for p in paths]
    reports = [f.attrs.get(REPORT_ATTR, {}) for f in frames]
    columns = list(frames[0].columns)
    for p, f in zip(paths, frames, strict=True):
        if list(f.columns) != columns:
            raise ValueError(f"shard {p} has other columns than {paths[0]} (made with other dictionaries?)")
        f.attrs = {}
    settings = {(repr(r.get("dictionaries")), repr(r.get("negation")), r.get("scope")) for r in reports}
    if len(settings) > 1:
        raise ValueError("shards were counted with different dictionaries, negation settings or scopes")
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    df = df.sort_values(["stkcd", "year"], kind="stable").reset_index(drop=True)
    dup = df.duplicated(["stkcd", "year"])
    if dup.any():
        first = df.loc[dup, ["stkcd", "year"]].iloc[0].tolist()
        raise ValueError(f"firm-year {first} appears in more than one shard")
    report = _merge_reports(reports)
    df.attrs[REPORT_ATTR] = report
    write_parquet(out_path, df)
    if report_path is not None:
        write_json(report_path, report)
    return df
