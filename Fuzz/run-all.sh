#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each, in turn: Fuzz/run-all.sh SECONDS
# Every target runs even when one fails; the exit status is non-zero if any did.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${1:?usage: Fuzz/run-all.sh SECONDS}"
failed=0
for target in script vm request event http cidr; do
  Fuzz/run.sh "$target" "$seconds" || failed=1
done
exit "$failed"
