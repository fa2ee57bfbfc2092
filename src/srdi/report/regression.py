"""Regression tables in the esttab / fixest etable convention: one column per equation, coefficients with stars
and SE (or t) in parentheses beneath, Yes/No rows for controls and fixed effects, N, within R-squared and
clusters, then panels for derived quantities (indirect effects, diagnostics, group differences, marginal
effects) and notes naming the SE type and the provenance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from srdi.clusters import MIN_CLUSTERS
from srdi.report.estimates import DERIVED_EQUATIONS, base_term, coefficient_equations
from srdi.report.labels import WORDS, Labels
from srdi.report.numbers import fixed, integer, interval, missing, pvalue, significant
from srdi.report.settings import TableSettings, table_title
from srdi.report.stamp import Stamp
from srdi.report.table_model import Cell, Panel, Table

FE_ORDER = ("entity", "time", "re_entity")
NOT_IN_TABLES = ("placebo_draw", "balance")
CONS = "_cons"  # the placebo figure's draws; the balance table's rows


@dataclass
class Column:
    model: str
    equation: str
    rows: pd.DataFrame  # this equation's coefficient rows, indexed by term


def _columns(estimates: Mapping[str, pd.DataFrame]) -> list[Column]:
    cols = []
    for model, frame in estimates.items():
        for eq in coefficient_equations(frame):
            rows = frame[frame["equation"] == eq].drop_duplicates("shown").set_index("shown")
            cols.append(Column(model, eq, rows))
    return cols


def _first(rows: pd.DataFrame, col: str) -> Any:
    if col not in rows.columns or rows.empty:
        return None
    values = rows[col].dropna()
    return values.iloc[0] if len(values) else None


def _shown_terms(spec: Mapping[str, Any], columns: Sequence[Column], model_specs: Mapping[str, Any]) -> list[str]:
    """Rows of the table as shown (`L.x` for a lagged x): the table's `terms`, each with every lag at which a column
    has it, or every term that is neither a control of its model nor the intercept."""
    present: dict[str, None] = {}
    for c in columns:
        present.update(dict.fromkeys(c.rows.index))
    if spec.get("terms"):
        return [s for t in spec["terms"] for s in sorted((s for s in present if base_term(s) == t), key=len)]
    terms: dict[str, None] = {}
    for c in columns:
        controls = set(model_specs.get(c.model, {}).get("controls", []))
        for t in c.rows.index:
            if base_term(t) not in controls and t not in ("const", "Intercept", "_cons"):
                terms[t] = None
    return list(terms)


class _PanelGrid:
    """Rows of the derived panels, keyed by (panel, label, beneath?) in first-seen order."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.rows: dict[str, dict[tuple[str, bool], list[str]]] = {}

    def put(self, panel: str, label: str, col: int, text: str, beneath: bool = False) -> None:
        self.rows.setdefault(panel, {}).setdefault((label, beneath), [""] * self.n)[col] = text

    def panels(self) -> list[Panel]:
        return [Panel([["" if beneath else label, *cells] for (label, beneath), cells in rows.items()], title=title)
                for title, rows in self.rows.items()]


class RegressionTableBuilder:
    """Builds one Table from the estimates of the models a `tables.regressions` entry names."""

    def __init__(self, labels: Labels, settings: TableSettings, entity: str = "stkcd", time: str = "year") -> None:
        self.labels = labels
        self.settings = settings
        self.entity = entity
        self.time = time
        self.model_specs: Mapping[str, Any] = {}
        self._shown: dict[str, str] = {}

    # -- cells ---------------------------------------------------------------------------------------------
    def coef(self, est: Any, p: Any) -> str:
        return "" if missing(est) else significant(est, self.settings.digits) + self.settings.stars_for(p)

    def beneath(self, se: Any, stat: Any) -> str:
        if self.settings.beneath == "t":
            return "" if missing(stat) else f"({fixed(stat, 2)})"
        return "" if missing(se) else f"({significant(se, self.settings.digits)})"

    def _equation_label(self, c: Column) -> str:
        if c.equation.startswith("group:"):
            group = _first(c.rows, "group")
            value = str(group if group is not None else c.equation.split(":", 1)[1])
            by = self.model_specs.get(c.model, {}).get("group_by")
            return self.labels.value(by, value) if isinstance(by, str) else value
        if c.equation == "main":
            return ""
        try:
            return self.labels.word(c.equation)
        except KeyError:
            return c.equation

    def _cluster_names(self, by: str) -> str:
        return cluster_names(self.labels, by, self.entity, self.time)

    def _vcov_text(self, vcov: str) -> str:
        return vcov_text(self.labels, vcov, self.entity, self.time)

    # -- table ---------------------------------------------------------------------------------------------
    def build(self, name: str, spec: Mapping[str, Any], estimates: Mapping[str, pd.DataFrame],
              model_specs: Mapping[str, Any], stamp: Stamp | None) -> Table:
        self.model_specs = model_specs
        columns = _columns(estimates)
        if not columns:
            raise ValueError(f"table {name!r}: none of its models {list(spec.get('models', []))} has estimates")
        n = len(columns)
        terms = _shown_terms(spec, columns, model_specs)
        if self.settings.constant and any(CONS in c.rows.index for c in columns):
            terms = [*terms, CONS]
        header = self._header(spec, estimates, columns)
        panels = [Panel(self._coef_rows(terms, columns)), Panel(self._fact_rows(terms, columns))]
        panels += self._derived_panels(estimates, columns)
        table = Table(name=name, title=table_title(spec, name, self.labels.language), header=header, panels=panels,
                      notes=self._notes(columns, stamp))
        assert table.n_columns == n + 1
        return table.check()

    def _header(self, spec: Mapping[str, Any], estimates: Mapping[str, pd.DataFrame],
                columns: Sequence[Column]) -> list[list[Cell]]:
        rows = [[Cell("")] + [Cell(f"({i})") for i in range(1, len(columns) + 1)]]
        labels = spec.get("column_labels")
        if labels:
            spans = [sum(c.model == m for c in columns) for m in estimates]
            models = list(spec.get("models", []))
            texts = [labels[models.index(m)] if models.index(m) < len(labels) else m for m in estimates]
            rows.append([Cell("")] + [Cell(t, s) for t, s in zip(texts, spans, strict=True)])
        outcomes = [self.labels.sym(str(_first(c.rows, "outcome") or "")) for c in columns]
        rows.append([Cell(self.labels.word("dep_var"))] + [Cell(o) for o in outcomes])
        eq_labels = [self._equation_label(c) for c in columns]
        if any(eq_labels):
            rows.append([Cell("")] + [Cell(t) for t in eq_labels])
        if any(self.model_specs.get(c.model, {}).get("kind") == "mediation" for c in columns):
            rows.insert(2 if labels else 1, self._mediation_groups(columns))
        return rows

    def _mediation_groups(self, columns: Sequence[Column]) -> list[Cell]:
        """Jiang (2022) leads: the total and mediator equations are the two-step evidence (X -> Y, X -> M); the
        outcome equation with the Sobel and bootstrap panel is the stepwise supplement."""
        keys = ["two_step" if c.equation in ("total", "mediator") else "stepwise" if c.equation == "outcome" else ""
                for c in columns]
        cells: list[Cell] = [Cell("")]
        for key in keys:
            if cells[-1].text == (self.labels.word(key) if key else "") and len(cells) > 1 and key:
                cells[-1] = Cell(cells[-1].text, cells[-1].span + 1)
            else:
                cells.append(Cell(self.labels.word(key) if key else ""))
        return cells

    def _coef_rows(self, terms: Sequence[str], columns: Sequence[Column]) -> list[list[str]]:
        rows = []
        for term in terms:
            top, under = [self.labels.sym(term)], [""]
            for c in columns:
                if term in c.rows.index:
                    r = c.rows.loc[term]
                    top.append(self.coef(r["estimate"], r["p_value"]))
                    under.append(self.beneath(r["std_error"], r["statistic"]))
                else:
                    top.append("")
                    under.append("")
            rows += [top, under]
        return rows

    def _fact_rows(self, terms: Sequence[str], columns: Sequence[Column]) -> list[list[str]]:
        yes, no = self.labels.word("yes"), self.labels.word("no")
        shown = set(terms) | {"const", "Intercept", "_cons"}

        def has_controls(c: Column) -> bool:
            spec = self.model_specs.get(c.model, {})
            if spec.get("kind") == "did":  # its rows are event times and cohorts, never controls
                return bool(spec.get("controls"))
            return bool(set(c.rows.index) - shown)

        rows = [[self.labels.word("controls")] + [yes if has_controls(c) else no for c in columns]]
        alias = {self.entity: "entity", self.time: "time", "random(entity)": "re_entity",
                 f"random({self.entity})": "re_entity"}
        fe_sets = [{alias.get(p, p) for p in str(_first(c.rows, "fe") or "").split("+") if p and p != "none"}
                   for c in columns]
        union = set().union(*fe_sets)
        for fe in [f for f in FE_ORDER if f in union] + sorted(union - set(FE_ORDER)):
            label = self.labels.word(f"fe_{fe}") if fe in FE_ORDER else self._fe_label(fe)
            rows.append([label] + [yes if fe in s else no for s in fe_sets])
        rows.append([self.labels.word("nobs")] + [integer(_first(c.rows, "nobs")) for c in columns])
        rows += self._fit_rows(columns, fe_sets)
        clusters = [_first(c.rows, "n_clusters") for c in columns]
        if any(not missing(v) for v in clusters):
            rows.append([self.labels.word("n_clusters")] + [integer(v) for v in clusters])
        return rows

    def _fit_rows(self, columns: Sequence[Column], fe_sets: Sequence[set[str]]) -> list[list[str]]:
        """R² rows as reghdfe / esttab report them: R² (pooled: centred; FE: overall, fixed effects included),
        within R² for FE columns, and, with `tables.adjusted_r2`, their adjusted versions."""
        def value(c: Column, col: str, fe: set[str]) -> Any:
            if col == "r2" and not fe:  # pooled OLS: the centred R² is r2_within (no effects to be within)
                return _first(c.rows, "r2_within")
            if col == "r2_adj" and not fe:
                return _first(c.rows, "r2_adj")
            return _first(c.rows, col) if fe or col not in ("r2_within", "r2_within_adj") else None

        keys = ["r2", "r2_adj", "r2_within", "r2_within_adj"] if self.settings.adjusted_r2 else ["r2", "r2_within"]
        rows = []
        for key in keys:
            cells = [fixed(value(c, key, fe), 3) if not missing(value(c, key, fe)) else ""
                     for c, fe in zip(columns, fe_sets, strict=True)]
            if any(cells):
                rows.append([self.labels.word(key), *cells])
        return rows

    def _derived_panels(self, estimates: Mapping[str, pd.DataFrame], columns: Sequence[Column]) -> list[Panel]:
        """Indirect effects, marginal effects and diagnostics, each value under its model's columns."""
        grid = _PanelGrid(len(columns))
        for model, frame in estimates.items():
            cols = {c.equation: i for i, c in enumerate(columns) if c.model == model}
            first, last = min(cols.values()), max(cols.values())
            derived = frame["equation"].isin(DERIVED_EQUATIONS) & ~frame["equation"].isin(NOT_IN_TABLES)
            coefs = frame[~frame["equation"].isin(DERIVED_EQUATIONS)]
            self._shown = dict(zip(coefs["term"].astype(str), coefs["shown"], strict=True))  # coinnov -> L.coinnov
            for r in frame[derived].itertuples(index=False):
                if r.equation == "indirect":
                    self._indirect(grid, r, cols.get("outcome", last))
                elif r.equation == "marginal_effect":
                    self._marginal(grid, r, frame, cols.get("main", first))
                else:
                    self._diagnostic(grid, r, cols, first, last)
        return grid.panels()

    def _indirect(self, grid: _PanelGrid, r: Any, col: int) -> None:
        panel, d = self.labels.word("indirect_panel"), self.settings.digits
        if r.term == "proportion_mediated":
            grid.put(panel, self.labels.word("proportion_mediated"), col, significant(r.estimate, d))
        elif r.method in ("bootstrap_percentile", "bootstrap_bc"):
            grid.put(panel, self.labels.word(r.method), col, interval(r.conf_low, r.conf_high, d))
        else:
            label = self.labels.word("indirect")
            grid.put(panel, label, col, self.coef(r.estimate, r.p_value))
            grid.put(panel, label, col, self.beneath(r.std_error, r.statistic), beneath=True)
            grid.put(panel, self.labels.word("sobel"), col, f"{fixed(r.statistic, 2)} [{pvalue(r.p_value)}]")

    def _marginal(self, grid: _PanelGrid, r: Any, frame: pd.DataFrame, col: int) -> None:
        x, _, q = str(r.term).partition("@q")
        at = getattr(r, "at_quantile", None)
        if not missing(at):  # a share (0.25) or a percentile (25); shown as p25
            q = f"{float(at) * 100 if float(at) <= 1 else float(at):g}"
        panel = self.labels.word("marginal_panel", term=self.labels.sym(x))
        label = self.labels.word("at_quantile", q=q, moderator=self._moderator(frame, x))
        grid.put(panel, label, col, self.coef(r.estimate, r.p_value))
        grid.put(panel, label, col, self.beneath(r.std_error, r.statistic), beneath=True)

    def _diagnostic(self, grid: _PanelGrid, r: Any, cols: Mapping[str, int], first: int, last: int) -> None:
        panel, term = self.labels.word("diagnostics_panel"), str(r.term)
        applies_to = getattr(r, "applies_to", None)
        if isinstance(applies_to, str) and applies_to in cols:
            self._column_fact(grid, r, cols[applies_to])
        elif r.equation == "difference":
            a, b = getattr(r, "group_a", None), getattr(r, "group_b", None)
            groups = ""
            if not missing(a) and not missing(b):  # the compared pair, by its value labels
                by = self.model_specs.get(str(getattr(r, "model", "")), {}).get("group_by")
                pair = [self.labels.value(by, v) if isinstance(by, str) else str(v) for v in (a, b)]
                groups = f"（{pair[0]} − {pair[1]}）" if self.labels.language == "zh" else f" ({pair[0]} − {pair[1]})"
            label = self.labels.word("difference", term=self.labels.sym(self._shown.get(term, term)), groups=groups)
            grid.put(panel, label, last, f"{significant(r.estimate, self.settings.digits)} [{pvalue(r.p_value)}]")
        elif term in ("kp_rk_wald_f", "cd_wald_f"):
            grid.put(panel, self.labels.word(term), cols.get("first_stage", first), fixed(r.statistic, 2))
        elif term.startswith("sy_"):
            kind, pct = term[3:].split("_")
            grid.put(panel, self.labels.word(f"sy_{kind}", pct=pct), cols.get("first_stage", first),
                     fixed(r.statistic, 2))
        elif term == "kp_rk_lm":
            grid.put(panel, self.labels.word(term), cols.get("first_stage", first),
                     f"{fixed(r.statistic, 2)} [{pvalue(r.p_value)}]")
        elif term in ("sargan", "hansen_j", "ar_wald_f"):
            grid.put(panel, self.labels.word(term), cols.get("second_stage", last),
                     f"{fixed(r.statistic, 2)} [{pvalue(r.p_value)}]")
        elif term == "ar_set":
            label = self.labels.word(term)
            cell = interval(r.conf_low, r.conf_high, self.settings.digits)
            col = cols.get("second_stage", last)
            old_cell = grid.rows.get(panel, {}).get((label, False), [""] * grid.n)[col]
            grid.put(panel, label, col, f"{old_cell} ∪ {cell}" if old_cell else cell)
        elif term == "ar_wald_chi2":
            return  # the F form is shown (same p-value convention as the second stage's t)
        elif term == "endogeneity_dwh":
            grid.put(panel, self.labels.word(term), cols.get("second_stage", last), pvalue(r.p_value))
        else:
            grid.put(panel, term, last, f"{fixed(r.statistic, 2)} [{pvalue(r.p_value)}]")

    def _column_fact(self, grid: _PanelGrid, r: Any, col: int) -> None:
        """A fact under the column it belongs to (`applies_to`): a DID's pre-trend test, sample counts and Bacon
        terms; placebo p; Hausman and Mundlak tests under the RE column; Oster bounds and wild-bootstrap
        inference under the FE column."""
        term, d = str(r.term), self.settings.digits
        panel = self.labels.word("diagnostics_panel")
        if r.equation == "wild_bootstrap":
            label = self.labels.word("wild_bootstrap", term=self.labels.sym(str(r.shown)))
            grid.put(panel, label, col, f"{pvalue(r.p_value)} {interval(r.conf_low, r.conf_high, d)}")
            return
        if r.equation == "oster":
            kind = term.rsplit(":", 1)[-1]
            delta = getattr(r, "delta", None)
            label = self.labels.word(f"oster_{kind}", r_max=fixed(getattr(r, "r_max", None), 3),
                                     delta=fixed(delta, 1) if not missing(delta) else "1")
            grid.put(panel, label, col, significant(r.estimate, d))
            return
        if term == "matching_failed":
            grid.put(panel, self.labels.word(term, method=self.labels.word(str(r.method))), col,
                     self.labels.word("not_estimable"))
            return
        if term in ("hausman_fe_re", "mundlak"):
            # A negative classic Hausman statistic (V_FE - V_RE not positive definite) has no p-value: as Stata,
            # show the statistic and say so in the cell rather than an empty bracket.
            p = pvalue(r.p_value) if not missing(r.p_value) else self.labels.word("not_pd")
            grid.put(panel, self.labels.word(term), col, f"{fixed(r.statistic, 2)} [{p}]")
            return
        if r.equation == "placebo":
            grid.put(self.labels.word("diagnostics_panel"), self.labels.word(term), col, pvalue(r.p_value))
            return
        if r.equation == "decomposition":
            text = f"{significant(r.estimate, self.settings.digits)} [{fixed(r.weight, 3)}]"
            grid.put(self.labels.word("bacon_panel"), self.labels.word(term), col, text)
            return
        panel = self.labels.word("diagnostics_panel")
        if term == "pretrend":
            grid.put(panel, self.labels.word(term), col, pvalue(r.p_value))
        elif term in ("n_treated", "n_cohorts", "n_never_treated"):
            grid.put(panel, self.labels.word(term), col, integer(r.estimate))
        elif term == "comparison":
            note = str(r.note)
            grid.put(panel, self.labels.word(term), col, self.labels.word(note) if note in WORDS else note)

    def _moderator(self, frame: pd.DataFrame, x: str) -> str:
        """The moderator of X: the other factor of the `X:M` interaction in the main equation."""
        for term in frame.loc[frame["equation"] == "main", "term"].astype(str):
            parts = term.split(":")
            if len(parts) == 2 and x in parts:
                return self.labels.sym(parts[1 - parts.index(x)])
        return "M"

    def _fe_label(self, fe: str) -> str:
        """An absorbed effect other than firm and year: industry × year FE, 行业×年份固定效应."""
        sep = "×" if self.labels.language == "zh" else " × "
        names = sep.join(self.labels.unit(p) for p in fe.split("^"))
        return self.labels.word("fe_other", x=names[:1].upper() + names[1:])

    def _notes(self, columns: Sequence[Column], stamp: Stamp | None) -> list[str]:
        zh = self.labels.language == "zh"
        lead = self.labels.word("se_note" if self.settings.beneath == "se" else "t_note")
        end = "。" if zh else "."
        se = se_by_column(self.labels, [str(_first(c.rows, "vcov") or "") for c in columns], self.entity, self.time)
        if not se:
            first = f"{lead}{end}"
        elif self.settings.beneath == "t" and zh:
            first = f"{lead}（{se}）{end}"
        else:
            first = f"{lead}{'：' if zh else (': ' if ';' in se else ', ')}{se}{end}"
            if zh and ";" not in se and "；" not in se:  # one SE type: 括号内为企业层面聚类稳健标准误
                first = f"括号内为{se}{end}"
        notes = [first, *self._few_clusters_notes(columns), self.settings.stars_note() + end]
        if stamp is not None:
            notes.append(self.labels.provenance(stamp))
        return notes

    def _few_clusters_notes(self, columns: Sequence[Column]) -> list[str]:
        """One sentence per (cluster columns, G) shared by columns with fewer than MIN_CLUSTERS clusters."""
        few: dict[tuple[str, int], list[int]] = {}
        for i, c in enumerate(columns, start=1):
            kind, _, by = str(_first(c.rows, "vcov") or "").partition(":")
            g = _first(c.rows, "n_clusters")
            if kind == "cluster" and not missing(g) and int(g) < MIN_CLUSTERS:
                few.setdefault((by, int(g)), []).append(i)
        zh = self.labels.language == "zh"
        return [FEW_CLUSTERS_NOTE[zh](cols=column_ranges(idx, zh), plural=len(idx) > 1, by=self._cluster_names(by),
                                      g=g, threshold=MIN_CLUSTERS) for (by, g), idx in few.items()]


def column_ranges(idx: Sequence[int], zh: bool) -> str:
    """Columns 1, 2, 3, 5 as (1)–(3), (5); Chinese （1）—（3）、（5）."""
    runs: list[list[int]] = []
    for i in idx:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    o, c, dash, sep = ("（", "）", "—", "、") if zh else ("(", ")", "–", ", ")
    parts = [f"{o}{r[0]}{c}" if len(r) == 1 else f"{o}{r[0]}{c}{dash}{o}{r[-1]}{c}" for r in runs]
    return sep.join(parts)


def cluster_names(labels: Labels, by: str, entity: str, time: str) -> str:
    """The cluster columns of a vcov label ("stkcd+year") in words: firm and year; 企业和年份."""
    names = [p for p in by.replace(",", "+").split("+") if p]
    shown = [labels.unit("entity" if n == entity else "time" if n == time else n) for n in names]
    return ("和" if labels.language == "zh" else " and ").join(shown) or labels.unit("entity")


def vcov_text(labels: Labels, vcov: str, entity: str, time: str) -> str:
    kind, _, by = vcov.partition(":")
    if kind == "cluster":
        return labels.word("cluster", by=cluster_names(labels, by, entity, time))
    if kind in ("robust", "unadjusted", "hc3"):
        return labels.word(kind)
    return vcov


def se_by_column(labels: Labels, vcovs: Sequence[str], entity: str, time: str) -> str:
    """The SE type, or per column when columns differ: columns (1)–(3) clustered by firm; column (4) ..."""
    return by_column(labels, [vcov_text(labels, v, entity, time) if v else "" for v in vcovs])


def by_column(labels: Labels, texts: Sequence[str]) -> str:
    """One text when every column has it, else each with its columns: columns (1)–(3) X; column (4) Y."""
    zh = labels.language == "zh"
    groups: dict[str, list[int]] = {}
    for i, text in enumerate(texts, start=1):
        if text:
            groups.setdefault(text, []).append(i)
    if len(groups) <= 1:
        return next(iter(groups), "")
    parts = []
    for text, idx in groups.items():
        cols = column_ranges(idx, zh)
        if zh:
            parts.append(f"第{cols}列为{text}")
        else:
            plural = len(idx) > 1
            parts.append(f"{'columns' if plural else 'column'} {cols} {text}")
    return ("；" if zh else "; ").join(parts)


def _few_clusters_en(cols: str, plural: bool, by: str, g: int, threshold: int) -> str:
    subject = f"Columns {cols} are" if plural else f"Column {cols} is"
    return (f"{subject} clustered by {by} with only {g} clusters; cluster-robust inference is unreliable with "
            f"fewer than {threshold} (see the wild cluster bootstrap).")


def _few_clusters_zh(cols: str, plural: bool, by: str, g: int, threshold: int) -> str:
    return f"第{cols}列按{by}聚类，仅有{g}个聚类；聚类数少于{threshold}时，聚类稳健推断不可靠（可参考野聚类自助法）。"


FEW_CLUSTERS_NOTE = {False: _few_clusters_en, True: _few_clusters_zh}
