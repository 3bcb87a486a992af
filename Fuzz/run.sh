#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time: Fuzz/run.sh TARGET SECONDS [LIBFUZZER-FLAG...]
#
# The corpus (.build/fuzz/corpus-TARGET) grows across runs, seeded from Fuzz/seeds/TARGET and, for
# some targets, from files that already live in the repository. Crash, timeout and OOM inputs are
# kept in .build/fuzz/artifacts/. Prints `TARGET: N executions, M crashes`; exits non-zero on any.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: Fuzz/run.sh TARGET SECONDS [LIBFUZZER-FLAG...]}"
seconds="${2:?usage: Fuzz/run.sh TARGET SECONDS [LIBFUZZER-FLAG...]}"
shift 2

out=.build/fuzz
corpus="$out/corpus-$target"
artifacts="$out/artifacts"
mkdir -p "$corpus" "$artifacts"
Fuzz/build.sh "$target" >/dev/null

cp Fuzz/seeds/"$target"/* "$corpus"/
case "$target" in
  script) cp Scripts/*.eliza "$corpus"/
          if [ -d ../shared/reference/scripts ]; then cp ../shared/reference/scripts/ELIZA-*.txt "$corpus"/; fi ;;
  request|event) cp Tests/LambdaFunctionTests/Fixtures/*.json "$corpus"/ ;;
esac

# Input length: scripts and VM lines are short by nature, and long inputs only slow those two targets
# down (libFuzzer would otherwise take the longest seed, a whole DOCTOR script). A -max_len given on
# the command line comes later and wins.
case "$target" in
  script) defaults=(-max_len=1024) ;;
  vm) defaults=(-max_len=256) ;;
  *) defaults=() ;;
esac

log="$out/$target.log"
before=$(ls "$artifacts" | wc -l)
status=0
"$out/$target" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$artifacts/$target-" ${defaults[@]+"${defaults[@]}"} "$@" >"$log" 2>&1 || status=$?
executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
crashes=$(( $(ls "$artifacts" | wc -l) - before ))
echo "$target: ${executions:-0} executions, $crashes crashes"
if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
  grep -E '^(==[0-9]+==ERROR|SUMMARY|Fatal error|.*Fatal error:|artifact_prefix)' "$log" | head -20 >&2 || true
  echo "$target: failed (exit $status); see $log and $artifacts/" >&2
  exit 1
fi
