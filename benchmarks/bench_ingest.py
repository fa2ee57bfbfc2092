"""Ingest stage (`python -m srdi ingest`) of one demo, this tree against another checkout of src/ (e.g. a
`git worktree` of the commit before a change), run alternately so both see the same machine load.

    python benchmarks/bench_ingest.py --raw-dir data/demo/raw --other-src /tmp/before/src --reps 3

Reports the median wall time of each, their ratio, and whether the interim outputs (every parquet
file and ingest_report.json) are byte-identical. Results: benchmarks/results/ingest.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "data" / "mappings" / "csmar_fields.yaml"


def _digest(out_dir: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(out_dir.iterdir()):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:16]


def _run(src: Path, raw_dir: Path, out_dir: Path) -> float:
    """Wall seconds of one ingest run in a child process."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "srdi", "ingest", "--raw-dir", str(raw_dir), "--mapping", str(MAPPING),
                    "--out-dir", str(out_dir)], check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw-dir", type=Path, required=True)
    ap.add_argument("--other-src", type=Path, required=True, help="src/ of the tree to compare with")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    trees = {"other": args.other_src.resolve(), "this": (ROOT / "src").resolve()}
    times: dict[str, list[float]] = {k: [] for k in trees}
    digests: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.reps):
            for name, src in trees.items():
                out = Path(tmp) / f"{name}_{rep}"
                times[name].append(_run(src, args.raw_dir, out))
                digests.setdefault(name, _digest(out))
    size = sum(p.stat().st_size for p in args.raw_dir.rglob("*") if p.is_file() and p.parent.name != "mdna")
    print(f"raw tables: {size / 2**20:.0f} MB; load average at end: {os.getloadavg()[0]:.1f}")
    for name in trees:
        print(f"{name}: median {statistics.median(times[name]):.2f} s of {times[name]}, digest {digests[name]}")
    ratio = statistics.median(times["other"]) / statistics.median(times["this"])
    print(f"other / this: {ratio:.2f}x; outputs identical: {digests['other'] == digests['this']}")


if __name__ == "__main__":
    main()
