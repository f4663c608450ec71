#!/bin/sh
# Builds two private snapshots, HEAD and REV (each: git archive, the WebAssembly kernel and dist/), and
# runs compare.ts in the HEAD one: the same cloud, one gateway per build, side by side. Arguments
# after REV go to compare.ts; results land in this checkout's bench/storage/RESULTS-compare.md unless
# --out is given.
#
#   sh bench/storage/compare-run.sh 857680a --sizes 10MiB,100MiB --reps 6
set -eu
[ $# -ge 1 ] || { echo "usage: $0 REV [compare.ts options]" >&2; exit 2; }
rev=$1
shift
repo=$(cd "$(dirname "$0")/../.." && pwd)
head=$(git -C "$repo" rev-parse --short HEAD)
base=$(git -C "$repo" rev-parse --short "$rev")
snap=$(mktemp -d "${TMPDIR:-/tmp}/cloudy-bench-src.XXXXXX")
trap 'rm -rf "$snap"' EXIT
build() { # REV DIR
  mkdir -p "$2"
  git -C "$repo" archive "$1" | tar -x -C "$2"
  ln -s "$repo/node_modules" "$2/node_modules"
  (cd "$2" && node_modules/.bin/asc assembly/gf256.ts --config assembly/asconfig.json --target release &&
    node_modules/.bin/tsc -p tsconfig.build.json)
}
build "$head" "$snap/head"
build "$base" "$snap/base"
rm -rf "$snap/head/bench/storage"
cp -R "$repo/bench/storage" "$snap/head/bench/"
export CLOUDY_BENCH_COMMIT="$head and $base, clean snapshots"
export CLOUDY_BENCH_COMMAND="sh bench/storage/compare-run.sh $rev $*"
cd "$snap/head"
node --import tsx bench/storage/compare.ts --this "$head" --other "$base=$snap/base" \
  --out "$repo/bench/storage/RESULTS-compare.md" "$@" &
bench=$!
trap 'kill -TERM "$bench" 2>/dev/null; wait "$bench"; exit 130' INT TERM
wait "$bench"
