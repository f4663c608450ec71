#!/bin/sh
# Runs the storage benchmark on a private copy of the source, built in a temp dir, so that edits and
# rebuilds of this checkout during the run cannot change the daemons under test. By default the copy
# is the last commit (HEAD); SNAPSHOT_OF=worktree copies the working tree as it is now (tracked and
# untracked files, not ignored ones). bench/storage itself always comes from the working tree.
# Arguments go to run.ts; the results land in this checkout's bench/storage/RESULTS.md unless --out
# is given.
#
#   sh bench/storage/snapshot-run.sh --profile
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
snap=$(mktemp -d "${TMPDIR:-/tmp}/cloudy-bench-src.XXXXXX")
trap 'rm -rf "$snap"' EXIT
head=$(git -C "$repo" rev-parse --short HEAD)
if [ "${SNAPSHOT_OF:-HEAD}" = HEAD ]; then
  git -C "$repo" archive HEAD | tar -x -C "$snap"
  commit="$head (clean snapshot of HEAD)"
else
  (cd "$repo" && git ls-files -z --cached --others --exclude-standard | xargs -0 tar -c --ignore-failed-read -f -) |
    tar -x -C "$snap"
  if [ -n "$(git -C "$repo" status --porcelain -- src assembly)" ]; then
    commit="$head + uncommitted changes in src/ (snapshot of the working tree at $(date -u +%H:%M) UTC)"
  else
    commit="$head (snapshot of the working tree; src/ as committed)"
  fi
fi
ln -s "$repo/node_modules" "$snap/node_modules"
mkdir -p "$snap/bench"
rm -rf "$snap/bench/storage"
cp -R "$repo/bench/storage" "$snap/bench/"
(cd "$snap" && node_modules/.bin/asc assembly/gf256.ts --config assembly/asconfig.json --target release &&
  node_modules/.bin/tsc -p tsconfig.build.json)
export CLOUDY_BENCH_COMMIT="$commit"
cd "$snap"
# in the background so that a signal to this script reaches the benchmark, which then stops its nodes
node --import tsx bench/storage/run.ts --out "$repo/bench/storage/RESULTS.md" "$@" &
bench=$!
trap 'kill -TERM "$bench" 2>/dev/null; wait "$bench"; exit 130' INT TERM
wait "$bench"
