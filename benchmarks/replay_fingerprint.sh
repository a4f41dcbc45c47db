#!/usr/bin/env bash
# The engine's fingerprint at a commit: SHA-256 of the simulated cohorts (two presets, fixed
# seed), of the policy arena and of `lasting replay` on those cohorts, with the published and
# the fitted prior. A refactor must leave every line unchanged; compare two commits with
#
#   diff <(benchmarks/replay_fingerprint.sh A) <(benchmarks/replay_fingerprint.sh B)
#
# The commit is checked out in a temporary worktree and run with this checkout's .venv.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
commit="${1:-HEAD}"
work="$(mktemp -d)"
trap 'git -C "$repo" worktree remove --force "$work/src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$repo" worktree add --detach "$work/src" "$commit" >/dev/null 2>&1

lasting() {
    (cd "$work/src" && PYTHONPATH="$work/src/src" DJANGO_SETTINGS_MODULE=lasting.settings \
        "$repo/.venv/bin/python" -c \
        "import sys; from lasting.cli import main; sys.argv[0] = 'lasting'; main()" "$@")
}

for preset in real-world lab; do
    out="$work/out/$preset"
    lasting simulate --preset "$preset" --patients 300 --days 365 --seed 11 \
        --policies fixed:28 --out "$out" --export-cohort >/dev/null
    for prior in published fitted; do
        flag=()
        [ "$prior" = fitted ] && flag=(--fit-prior)
        lasting replay --observations "$out/cohort/observations.csv" \
            --sessions "$out/cohort/sessions.csv" --out "$out/alerts-$prior.csv" \
            "${flag[@]}" >/dev/null
    done
done
cd "$work/out" && sha256sum */cohort/*.csv */arena.csv */alerts-*.csv
