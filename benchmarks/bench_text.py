"""Benchmark of the text stage: read, decode, match, negation, on a synthetic corpus of MD&A-like reports.

Compares, on the same files and the same counting rules:
  trie         srdi.text.count_year (vectorised trie scan, all dictionaries in one pass); writes the shard
  ahocorasick  the same TextCounter with one pyahocorasick automaton per dictionary (iter + selection)
  re           plain Python `re`: one alternation per dictionary, terms sorted longest first, finditer;
               with re.IGNORECASE (the plain way) and on ASCII-lowered bytes (a tuned variant)
and checks that all give identical counts. Prints figures only (no assertions).

    .venv/bin/python benchmarks/bench_text.py            # 200 MB corpus, 3 repetitions
    .venv/bin/python benchmarks/bench_text.py --mb 20 --reps 1
    .venv/bin/python benchmarks/bench_text.py --demo short --scale default       # the demo's own texts
    .venv/bin/python benchmarks/bench_text.py --demo realistic --scale small     # report-length demo texts
    .venv/bin/python benchmarks/bench_text.py --demo realistic --dir /tmp/c --baseline /path/to/other/src

--demo generates the demo's annual-report texts (PDF debris, several versions per firm-year; short or realistic
length) and times the stage as the pipeline runs it (count_years: version choice, repair, one buffer per batch)
against the same work one report at a time (read, repair, count per file), the pattern of a job per year.
--baseline SRC also times another checkout's text stage (its `src` folder: count_years, or count_year per year
on older trees) on the same folder, in a child process, interleaved with this tree's runs, so that a loaded
machine hits both alike; the ratio of the two is the figure to read.

MB is 10^6 bytes of report files as stored on disk (UTF-8 Chinese is 3 bytes a character).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from srdi.text import TextCounter, count_year, decode_report, fold_ascii, load_dictionary, read_report
from srdi.text.negation import NegationRule

ROOT = Path(__file__).resolve().parents[1]
DICTS = {
    "digital": ROOT / "data/dictionaries/digital_wu2021.yaml",
    "ci_data": ROOT / "data/dictionaries/coinnov_data.yaml",
    "ci_eco": ROOT / "data/dictionaries/coinnov_eco.yaml",
}
YEAR = 2020

# Vocabulary of MD&A prose. Many words share first characters with dictionary terms (数据, 信息, 工业, 金融,
# 智能, 移动, 创新, 产业, 合作 ...), and some contain negation characters without negating (不断, 未来, 无形资产),
# so candidate filtering and the negation fast path are exercised as in real reports.
_VOCAB_TEXT = """公司 报告期 营业收入 净利润 同比 增长 下降 主要 业务 产品 市场 客户 行业 发展 经营 管理 投资 项目 研发
技术 创新 生产 销售 成本 费用 资产 负债 现金流量 利润 毛利率 子公司 股东 董事会 战略 质量 服务 品牌
渠道 供应链 采购 原材料 价格 需求 竞争 优势 风险 政策 国家 地区 国际 海外 国内 持续 推进 加强 提升
提高 优化 完善 实现 完成 开展 建设 实施 加快 积极 进一步 有效 稳定 规模 能力 水平 体系 机制 平台 信息
系统 数据 工业 金融 智能 移动 电子 自动化 分布 开放 绿色 融合 增强 多方 第三 互联 数字 制造 设备 工艺
生产线 产能 订单 交付 运营 效率 人才 团队 员工 培训 安全 环保 节能 减排 标准 认证 专利 知识产权 核心
关键 新材料 新能源 汽车 医疗 医药 化工 机械 电力 通信 软件 硬件 芯片 半导体 光伏 储能 电池 材料 零部件
高端 中高端 产业链 上下游 合作 伙伴 协同 共享 整合 并购 重组 募集资金 资本 银行 贷款 融资 利率 汇率
税收 补贴 政府 监管 合规 内部控制 审计 会计 准则 披露 报告 年度 季度 期末 期初 余额 比例 不断 未来
无形资产 未分配利润 不限于 无锡 不同 不仅 稳健 实施方案 经济 形势 影响 宏观 波动 不确定性 信息化 数字化
智能化 网络化 基础设施 物流 仓储 配送 零售 批发 线上 线下 消费者 用户 体验 研究院 实验室 高校 科研院所
技术中心 工程中心 检测 试验 样品 量产 良率 库存 周转 应收账款 应付账款 产业 创新能力 信息技术 数据中心
工业化 金融机构"""
VOCAB = _VOCAB_TEXT.split()
_FUNCTION_TEXT = "的 了 和 及 与 在 为 对 以 将 是 等 并 由 中 上 向 从 其 该"
FUNCTION = _FUNCTION_TEXT.split()
UNITS = ["万元", "%", "亿元", "吨", "个", "家", "项"]
LEADS = ["公司积极推进", "加快", "依托", "围绕", "深化", "发展", "持续投入", "布局", "报告期内开展", "不断推进",
         "未来将加大", "公司尚未开展", "没有涉及", "暂无", "并未开展"]  # fmt: skip
NEGATED_LEADS = 4  # the last four LEADS negate; chosen with probability ~5%


def make_sentence(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(5, 22)):
        r = rng.random()
        if r < 0.72:
            parts.append(VOCAB[min(int(rng.paretovariate(0.8)) - 1, len(VOCAB) - 1)] if r < 0.36 else rng.choice(VOCAB))
        elif r < 0.9:
            parts.append(rng.choice(FUNCTION))
        elif r < 0.96:
            parts.append(f"{rng.randint(1, 99999):,}{rng.choice(UNITS)}")
        else:
            parts.append(rng.choice("，、"))
    return "".join(parts) + rng.choice("。。。；")


def make_report(rng: random.Random, pool: list[str], terms: dict[str, list[str]], n_chars: int) -> str:
    """Sentences from the pool, with dictionary terms inserted at a skewed, firm-specific density."""
    sentences, size = [], 0
    while size < n_chars:
        s = rng.choice(pool)
        sentences.append(s + ("\n" if rng.random() < 0.15 else ""))
        size += len(s)
    # Hits per 10,000 characters: lognormal, median ~1.5 (DT) / ~0.6 (co-innovation), long right tail.
    for key, median in (("digital", 1.5), ("ci_data", 0.6), ("ci_eco", 0.6)):
        n = int(rng.lognormvariate(math.log(median), 1.0) * size / 10_000)
        for _ in range(n):
            i = rng.randrange(len(sentences))
            lead = rng.choice(LEADS[:-NEGATED_LEADS]) if rng.random() > 0.05 else rng.choice(LEADS[-NEGATED_LEADS:])
            term = rng.choice(terms[key])
            if term.isascii() and rng.random() < 0.5:
                term = term.upper()
            sentences[i] = f"{lead}{term}{rng.choice(['业务', '建设', '应用', '，', '与', '平台'])}" + sentences[i]
    return "".join(sentences)


def build_corpus(folder: Path, target_mb: float, seed: int) -> tuple[int, int]:
    """Write <stkcd>_<YEAR>.txt files until target_mb; ~5% GB18030, ~5% UTF-8 with BOM. Returns (files, bytes)."""
    rng = random.Random(seed)
    pool = [make_sentence(rng) for _ in range(20_000)]
    dicts = {k: load_dictionary(p) for k, p in DICTS.items()}
    terms = {k: [t for g in d.groups for t in g.terms] for k, d in dicts.items()}
    total, i = 0, 0
    while total < target_mb * 1e6:
        text = make_report(rng, pool, terms, rng.randint(120_000, 280_000))
        r = rng.random()
        raw = text.encode("gb18030") if r < 0.05 else (b"\xef\xbb\xbf" if r < 0.10 else b"") + text.encode()
        (folder / f"{i:06d}_{YEAR}.txt").write_bytes(raw)
        total += len(raw)
        i += 1
    return i, total


class ReBaseline:
    """The same counts with Python's `re`: one alternation per dictionary, longest terms first.

    ignorecase=True is the plain way (re.IGNORECASE on the decoded text); False is a tuned variant that
    lowercases ASCII in the raw bytes before decoding (bytes.lower() only touches A-Z, and every byte of a
    UTF-8 multibyte sequence is >= 0x80) and matches case-sensitively, which keeps re's fast first-character
    scan.
    """

    def __init__(self, ignorecase: bool) -> None:
        self.ignorecase = ignorecase
        self.dicts = {k: load_dictionary(p) for k, p in DICTS.items()}
        base = NegationRule()
        self.specs = []
        for key, d in self.dicts.items():
            group_of = {fold_ascii(t): g.gid for g in d.groups for t in g.terms}
            alternation = "|".join(re.escape(t) for t in sorted(group_of, key=len, reverse=True))
            rule = base.with_exclusions(t for g in d.groups for t in g.terms)
            pattern = re.compile(alternation, re.IGNORECASE if ignorecase else 0)
            self.specs.append((key, d, pattern, group_of, rule))

    def count(self, raw: bytes) -> dict[str, int] | None:
        if self.ignorecase:
            dec = decode_report(raw)
            if dec is None:
                return None
            text = folded = dec.text
        else:
            try:
                bom = raw.startswith(b"\xef\xbb\xbf")
                text = raw[3:].decode() if bom else raw.decode()
                folded = raw[3:].lower().decode() if bom else raw.lower().decode()
            except UnicodeDecodeError:
                try:
                    text = raw.decode("gb18030")
                except UnicodeDecodeError:
                    return None
                folded = fold_ascii(text)
        row = {"text_chars": len(text)}
        for _key, d, pattern, group_of, rule in self.specs:
            kept = dict.fromkeys((g.gid for g in d.groups), 0)
            neg = dict.fromkeys((g.gid for g in d.groups), 0)
            for m in pattern.finditer(folded):
                gid = group_of[fold_ascii(m.group())] if self.ignorecase else group_of[m.group()]
                (neg if rule.is_negated(text, m.start()) else kept)[gid] += 1
            p = d.count_prefix
            if len(d.groups) > 1:
                for g in d.groups:
                    row[f"{p}_{g.gid}"] = kept[g.gid]
                    row[f"{p}_neg_{g.gid}"] = neg[g.gid]
            row[f"{p}_total"] = sum(kept.values())
            row[f"{p}_neg"] = sum(neg.values())
        return row


def run_files(files: list[Path], count: Callable[[Path], dict[str, int] | None]) -> dict[str, dict[str, int] | None]:
    return {f.name: count(f) for f in files}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=200.0, help="corpus size in MB (default 200)")
    ap.add_argument("--reps", type=int, default=3, help="timed repetitions; the best is reported (default 3)")
    ap.add_argument("--seed", type=int, default=20250403)
    ap.add_argument("--dir", type=Path, default=None, help="corpus folder to reuse/keep (default: a temp dir)")
    ap.add_argument("--demo", choices=["short", "realistic"], default=None,
                    help="time the demo's own texts of this length instead of the synthetic corpus")
    ap.add_argument("--scale", default="small", help="demo scale for --demo (default small)")
    ap.add_argument("--baseline", type=Path, action="append", default=[],
                    help="with --demo: another checkout's src to compare (repeatable)")
    args = ap.parse_args()
    if args.demo is not None:
        bench_demo(args.demo, args.scale, args.seed, args.reps, args.dir, args.baseline)
        return

    tmp = None
    if args.dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench_text_")
        folder = Path(tmp.name)
    else:
        folder = args.dir
        folder.mkdir(parents=True, exist_ok=True)
    files = sorted(folder.glob(f"*_{YEAR}.txt"))
    if not files:
        t0 = time.perf_counter()
        n, _ = build_corpus(folder, args.mb, args.seed)
        print(f"generated {n} reports in {time.perf_counter() - t0:.1f} s")
        files = sorted(folder.glob(f"*_{YEAR}.txt"))
    n_bytes = sum(f.stat().st_size for f in files)
    mb = n_bytes / 1e6

    dicts = {k: load_dictionary(p) for k, p in DICTS.items()}
    aho = TextCounter(dicts, backend="ahocorasick")
    trie = TextCounter(dicts, backend="trie")
    rex = ReBaseline(ignorecase=False)
    rex_i = ReBaseline(ignorecase=True)

    def with_counter(counter: TextCounter) -> Callable[[Path], dict[str, int] | None]:
        def count(path: Path) -> dict[str, int] | None:
            dec = read_report(path)
            return None if dec is None else counter.count(dec.text)

        return count

    def decode_only(path: Path) -> dict[str, int] | None:
        dec = read_report(path)
        return None if dec is None else {"text_chars": len(dec.text)}

    out = folder / "shard.parquet"
    methods: dict[str, Callable[[], object]] = {
        "read+decode only": lambda: run_files(files, decode_only),
        "trie (count_year)": lambda: count_year(folder, YEAR, {k: str(p) for k, p in DICTS.items()}, out),
        "trie (TextCounter)": lambda: run_files(files, with_counter(trie)),
        "ahocorasick": lambda: run_files(files, with_counter(aho)),
        "re (lowered bytes)": lambda: run_files(files, lambda p: rex.count(p.read_bytes())),
        "re IGNORECASE": lambda: run_files(files, lambda p: rex_i.count(p.read_bytes())),
    }
    times: dict[str, list[float]] = {k: [] for k in methods}
    results: dict[str, object] = {}
    for _ in range(args.reps):
        for name, fn in methods.items():
            t0 = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - t0)

    others = ("ahocorasick", "re (lowered bytes)", "re IGNORECASE")
    same = all(results["trie (TextCounter)"] == results[k] for k in others)
    df = results["trie (count_year)"]
    rows = results["trie (TextCounter)"]
    shard_same = all(
        rows[f"{s}_{YEAR}.txt"][c] == v
        for s, rec in zip(df["stkcd"], df.to_dict("records"), strict=True)
        for c, v in rec.items()
        if c in rows[f"{s}_{YEAR}.txt"]
    )  # type: ignore[index]
    n_chars = sum(r["text_chars"] for r in rows.values() if r)  # type: ignore[union-attr]
    hits = sum(r["dt_total"] + r["dt_neg"] for r in rows.values() if r)  # type: ignore[union-attr]
    negated = sum(r["dt_neg"] for r in rows.values() if r)  # type: ignore[union-attr]

    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores; one process")
    print(f"corpus: {len(files)} reports, {mb:.1f} MB, {n_chars / 1e6:.1f} M characters; "
          f"DT hits {hits} ({hits / n_chars * 1e4:.2f} per 10k chars), negated {negated}")  # fmt: skip
    print(f"identical counts trie / ahocorasick / both re: {same}; count_year shard equal: {shard_same}")
    print(f"{'method':<22}{'best s':>9}{'median s':>10}{'MB/s':>9}{'Mchar/s':>9}")
    for name, ts in times.items():
        best = min(ts)
        print(f"{name:<22}{best:>9.2f}{statistics.median(ts):>10.2f}{mb / best:>9.1f}{n_chars / 1e6 / best:>9.1f}")
    for base in ("re IGNORECASE", "re (lowered bytes)"):
        for name in ("trie (count_year)", "trie (TextCounter)", "ahocorasick"):
            print(f"speed-up of {name} over {base}: {min(times[base]) / min(times[name]):.2f}x")
    if tmp is not None:
        tmp.cleanup()


_CHILD = """
import sys, time, json
from pathlib import Path
import srdi.text.counts as c
mdna, years, dicts, out = Path(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
t0 = time.perf_counter()
if hasattr(c, "count_years"):
    c.count_years(mdna, years, dicts, out)
else:
    for y in years:
        c.count_year(mdna, y, dicts, out)
print(json.dumps({"seconds": time.perf_counter() - t0,
                  "bytes": sum(p.stat().st_size for y in years for p in mdna.glob(f"*_{y}.txt"))}))
"""


def _baseline(src: Path, mdna: Path, years: list[int], dicts: dict[str, str], out: Path) -> dict[str, float]:
    """Time another tree's text stage in a child process (start-up and imports excluded)."""
    import json
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(src)}
    res = subprocess.run([sys.executable, "-c", _CHILD, str(mdna), json.dumps(years), json.dumps(dicts), str(out)],
                         env=env, check=True, capture_output=True, text=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def bench_demo(length: str, scale: str, seed: int, reps: int, folder: Path | None,
               baselines: Sequence[Path] = ()) -> None:
    """Time count_years on the demo's texts against counting them one report at a time (same results)."""
    from srdi.demo import generate_demo
    from srdi.demo.scales import get_scale
    from srdi.text import count_years
    from srdi.text.repair import repair
    from srdi.text.versions import choose_versions

    tmp = tempfile.TemporaryDirectory(prefix="bench_text_demo_") if folder is None else None
    raw = Path(tmp.name) / "raw" if tmp is not None else folder
    if not (raw / "mdna").is_dir():
        t0 = time.perf_counter()
        generate_demo(raw, scale=scale, seed=seed, texts=length)
        print(f"generated the {scale} demo with {length} texts in {time.perf_counter() - t0:.1f} s")
    mdna = raw / "mdna"
    years = get_scale(scale).years
    all_files = sorted(mdna.glob("*.txt"))
    chosen, _, _ = choose_versions(all_files)
    mb_all = sum(f.stat().st_size for f in all_files) / 1e6
    mb = sum(v.path.stat().st_size for v in chosen) / 1e6
    dicts = {k: str(p) for k, p in DICTS.items()}
    counter = TextCounter({k: load_dictionary(p) for k, p in DICTS.items()})

    def per_report() -> int:
        n = 0
        for v in chosen:
            dec = read_report(v.path)
            if dec is not None:
                counter.count(repair(dec.text, v.year)[0])
                n += 1
        return n

    def decode_only() -> int:
        return sum(len(dec.text) for v in chosen if (dec := read_report(v.path)) is not None)

    out = raw.parent / "bench_shard.parquet"
    methods: dict[str, Callable[[], object]] = {
        "read + decode only (floor)": decode_only,
        "count_years (all years, one process)": lambda: count_years(mdna, years, dicts, out),
        "count_years, scope mdna": lambda: count_years(mdna, years, dicts, out, scope="mdna"),
        "one report at a time": per_report,
    }
    runs: dict[str, list[float]] = {k: [] for k in methods}
    base_runs: dict[Path, list[float]] = {b: [] for b in baselines}
    base_mb: dict[Path, float] = {}
    loads = [os.getloadavg()[0]]
    for _ in range(reps):  # interleaved, so a change in the machine's load hits every method alike
        for k, fn in methods.items():
            runs[k].append(_timed(fn))
        for src in baselines:
            b = _baseline(src, mdna, list(years), dicts, raw.parent / "bench_base.parquet")
            base_runs[src].append(b["seconds"])
            base_mb[src] = b["bytes"] / 1e6
        loads.append(os.getloadavg()[0])
    times = {k: min(v) for k, v in runs.items()}
    df = count_years(mdna, years, dicts, out)
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, one process, load average (1 min) "
          f"{min(loads):.1f}-{max(loads):.1f} during the runs")
    print(f"demo {scale}, {length} texts: {len(all_files)} files, {mb_all:.1f} MB on disk; {len(chosen)} chosen "
          f"versions, {mb:.1f} MB; median {int(df['text_chars'].median())} characters counted per report")
    print(f"{'method':<40}{'best s':>9}{'MB/s':>9}")
    for name, t in times.items():
        print(f"{name:<40}{t:>9.2f}{mb / t:>9.1f}")
    base = times["one report at a time"]
    stage = times["count_years (all years, one process)"]
    print(f"speed-up of count_years over one report at a time: {base / stage:.2f}x; "
          f"count_years / read+decode floor time: {stage / times['read + decode only (floor)']:.2f}")
    own = [mb / t for t in runs["count_years (all years, one process)"]]
    for src, ts in base_runs.items():
        other = [base_mb[src] / t for t in ts]
        print(f"baseline {src}: {base_mb[src]:.1f} MB (its files), best {max(other):.1f} MB/s "
              f"(runs {', '.join(f'{x:.0f}' for x in other)}); this tree best {max(own):.1f} MB/s "
              f"(runs {', '.join(f'{x:.0f}' for x in own)}); ratio of bests {max(own) / max(other):.2f}, "
              f"of run pairs {', '.join(f'{a / b:.2f}' for a, b in zip(own, other, strict=True))}")
    if tmp is not None:
        tmp.cleanup()


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
