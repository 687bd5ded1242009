#!/usr/bin/env bash
# Builds the gateway (and the other apps) from the committed HEAD into OUT/dist, without touching
# the shared dist/ or anyone's uncommitted work; OUT/migrations is the matching migrations folder.
#
#   bash bench/build-dist.sh OUT [PATH...]
#
# PATHs (files or folders of the working tree) are copied over HEAD before compiling: an A/B build
# of one's own uncommitted change, without the others' work in progress (bench/run.sh --dist-b).
# BENCH_REVERT="sha ..." takes those commits' changes to apps/ and libs/ out again (newest first):
# HEAD without a set of changes, to measure what they gain in one run.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
OUT="${1:?usage: build-dist.sh OUT [PATH...]}"
shift
rm -rf "$OUT"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd -P)"
git -C "$REPO" archive HEAD apps libs migrations tsconfig.json tsconfig.build.json package.json | tar -x -C "$OUT"
for c in ${BENCH_REVERT:-}; do
  git -C "$REPO" show --format= "$c" -- apps libs | (cd "$OUT" && patch -R -p1 -s --no-backup-if-mismatch) ||
    { echo "cannot take $c out of HEAD" >&2; exit 1; }
done
for p in "$@"; do
  rel="${p#"$REPO"/}"
  mkdir -p "$OUT/$(dirname "$rel")"
  rm -rf "${OUT:?}/$rel"
  cp -R "$REPO/$rel" "$OUT/$rel"
done
# Paths and node_modules resolve upwards to the repository's node_modules (OUT is under the repo).
(cd "$OUT" && node "$REPO/node_modules/typescript/bin/tsc" -p tsconfig.build.json --outDir "$OUT/dist" \
  --rootDir "$OUT" >"$OUT/build.log" 2>&1) || { tail -20 "$OUT/build.log" >&2; exit 1; }
(cd "$OUT" && node "$REPO/node_modules/tsc-alias/dist/bin/index.js" -p tsconfig.build.json --outDir "$OUT/dist" \
  >>"$OUT/build.log" 2>&1) || { tail -20 "$OUT/build.log" >&2; exit 1; }
