#!/usr/bin/env bash
# CPU seconds (user + sys) and peak memory of `srdi ingest` and of the two text jobs (`srdi text-count`, years
# split as the DAG splits them on 2 cores) for one tree's src/, plus the SHA-256 of every output, so two trees can
# be run alternately and compared. Results: benchmarks/results/ingest.md and text.md.
#   benchmarks/bench_ingest_text_cpu.sh SRC RAW_DIR OUT_DIR     (then: diff OUT_DIR_a.sha OUT_DIR_b.sha)
set -euo pipefail
SRC=$1 RAW=$2 OUT=$3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PY:-python}
rm -rf "$OUT"; mkdir -p "$OUT"
echo "load $(cut -d' ' -f1 /proc/loadavg)"
PYTHONPATH=$SRC /usr/bin/time -f "ingest user %U sys %S wall %e maxrss_KB %M" \
  "$PY" -m srdi ingest --raw-dir "$RAW" --mapping "$ROOT/data/mappings/csmar_fields.yaml" --out-dir "$OUT/interim" \
  > "$OUT/ingest.log" 2>&1 || { cat "$OUT/ingest.log"; exit 1; }
tail -1 "$OUT/ingest.log"
D=$ROOT/data/dictionaries
for part in 0 1; do
  if [ "$part" = 0 ]; then Y="2011 2013 2015 2017 2019 2021 2023"; else Y="2012 2014 2016 2018 2020 2022"; fi
  # shellcheck disable=SC2086
  PYTHONPATH=$SRC /usr/bin/time -f "text_count_$part user %U sys %S wall %e maxrss_KB %M" \
    "$PY" -m srdi text-count --mdna-dir "$RAW/mdna" --years $Y --dictionaries "ci_data=$D/coinnov_data.yaml" \
    "ci_eco=$D/coinnov_eco.yaml" "digital=$D/digital_wu2021.yaml" --negation-window 5 --scope report \
    --out "$OUT/text_$part.parquet" > "$OUT/text_$part.log" 2>&1 || { cat "$OUT/text_$part.log"; exit 1; }
  tail -1 "$OUT/text_$part.log"
done
(cd "$OUT" && find . -name '*.parquet' -o -name '*.json' | sort | xargs sha256sum) > "$OUT.sha"
echo "hashes: $(wc -l < "$OUT.sha") files in $OUT.sha"
