#!/usr/bin/env bash
# CPU seconds (user + sys) of `srdi ingest` and `srdi base-panel`, this tree against another checkout of src/,
# alternately, with the SHA-256 of every output file compared. Results: benchmarks/results/ingest.md.
#   benchmarks/bench_ingest_cpu.sh RAW_DIR OTHER_SRC [REPS] [WORK_DIR]
set -euo pipefail
RAW=$1 OTHER=$2 REPS=${3:-2} WORK=${4:-$(mktemp -d)}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PY:-python}
MAP=$ROOT/data/mappings/csmar_fields.yaml
for rep in $(seq "$REPS"); do
  for tree in before after; do
    if [ "$tree" = before ]; then SRC=$OTHER; else SRC=$ROOT/src; fi
    out=$WORK/$tree
    rm -rf "$out"
    echo "== $tree rep $rep load $(cut -d' ' -f1 /proc/loadavg)"
    PYTHONPATH=$SRC /usr/bin/time -f "ingest $tree user %U sys %S wall %e maxrss_kb %M" \
      "$PY" -m srdi ingest --raw-dir "$RAW" --mapping "$MAP" --out-dir "$out/interim" > /dev/null
    PYTHONPATH=$SRC /usr/bin/time -f "base-panel $tree user %U sys %S wall %e maxrss_kb %M" \
      "$PY" -m srdi base-panel --interim-dir "$out/interim" --out "$out/panel/base_panel.parquet" \
      --match-report "$out/panel/partner_match.csv" > /dev/null
    (cd "$out" && find . -type f | sort | xargs sha256sum) > "$WORK/$tree.sha"
  done
  diff "$WORK/before.sha" "$WORK/after.sha" && echo "rep $rep: all $(wc -l < "$WORK/after.sha") files byte-identical"
done
echo "load at end $(cut -d' ' -f1-3 /proc/loadavg)"
