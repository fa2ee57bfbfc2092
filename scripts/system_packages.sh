#!/usr/bin/env bash
# Debian packages some tests need, installed by `make test` where it can: headless Chromium (the report rendering
# tests), a TeX engine with CJK support (the LaTeX table compile tests) and SLURM + munge (tests/test_slurm.py,
# which starts its one-node cluster with .ci/slurm_local.sh). Best effort and idempotent: installs only what is
# missing, and only as root with apt-get; otherwise says which packages are missing, and the tests needing them
# skip, saying why. Set SRDI_NO_SYSTEM_PACKAGES=1 to skip this step.
set -uo pipefail

if [ -n "${SRDI_NO_SYSTEM_PACKAGES:-}" ]; then
  exit 0
fi

# command -> Debian package(s) providing it
declare -A NEEDS=(
  [chromium]="chromium"
  [pdflatex]="texlive-latex-recommended texlive-science"
  [xelatex]="texlive-xetex texlive-lang-chinese"
  [slurmctld]="slurmctld slurmd slurm-client munge"
)
missing=()
for cmd in chromium pdflatex xelatex slurmctld; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=(${NEEDS[$cmd]})
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system packages: missing ${missing[*]} (not root or no apt-get); the tests needing them will be skipped" >&2
  exit 0
fi
echo "system packages: installing ${missing[*]}"
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Use-Pty=0 "${missing[@]}" >/dev/null; }; then
  echo "system packages: apt-get could not install ${missing[*]}; the tests needing them will be skipped" >&2
fi
exit 0
