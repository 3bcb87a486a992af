#!/usr/bin/env bash
# The server's throughput on one simple chat request, measured with wrk (C, epoll) because a Python
# generator saturates a core long before the server does. Starts the release server on 127.0.0.1,
# port 0, runs wrk at concurrency 1 and 16 (keep-alive), and prints req/s, latency and the server's
# peak RSS (VmHWM). Every run is bounded by --duration; only loopback traffic.
#   Tools/load-wrk.sh [--bin PATH] [--duration SECONDS] [--threads N (default: one per CPU)]
# Installs wrk with apt-get when it is missing (needs root). Exits 1 on any non-2xx or socket error.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.build/lambda/bootstrap
DURATION=10
THREADS=$(nproc)
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    *) echo "usage: $0 [--bin PATH] [--duration SECONDS] [--threads N]" >&2; exit 64 ;;
  esac
done
[ -x "$BIN" ] || { echo "error: $BIN is missing: run 'make lambda' or pass --bin" >&2; exit 1; }
if ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

work=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

LOG_LEVEL=ERROR env -u AWS_LAMBDA_RUNTIME_API "$BIN" --port 0 >"$work/out" 2>"$work/err" &
server=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\)/v1.*|\1|p' "$work/out" | head -1)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { echo "error: the server did not print its base URL" >&2; cat "$work/err" >&2; exit 1; }

# chat.lua sets the request; check.lua also checks every answer, which costs wrk a Lua call per
# response, so it runs as a short separate pass and the timed passes use chat.lua.
cat >"$work/chat.lua" <<'LUA'
wrk.method = "POST"
wrk.path = "/v1/chat/completions"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"eliza","messages":[{"role":"user","content":"Men are all alike."}]}'
LUA
cat "$work/chat.lua" - >"$work/check.lua" <<'LUA'
local bad = 0
response = function(status, headers, body)
  if status ~= 200 or not string.find(body, '"content":"IN WHAT WAY"', 1, true) then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("wrong answers: %d\n", bad))
end
LUA

# The server's own CPU time (utime + stime) per request: what it would cost with the cores to itself.
cpu_ticks() { awk '{sub(/.*\) /, ""); print $12 + $13}' /proc/$server/stat; }
ticks_per_second=$(getconf CLK_TCK)

status=0
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (wrk shares them with the server)"
printf '%-12s %12s %10s %10s %10s %8s %8s %14s\n' concurrency req/s p50 p99 max errors wrong server-CPU/req
for c in 1 16; do
  threads=$(( c < THREADS ? c : THREADS ))
  before=$(cpu_ticks)
  out=$(timeout $((DURATION + 30)) wrk -t"$threads" -c"$c" -d"${DURATION}s" --latency -s "$work/chat.lua" \
    "http://127.0.0.1:$port/v1/chat/completions")
  after=$(cpu_ticks)
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  max=$(awk '$1 == "Latency" {print $4; exit}' <<<"$out")
  # Non-2xx responses and socket errors (connect, read, write, timeout) both count as errors.
  errors=$(awk '/Non-2xx/ {n += $4} /Socket errors/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' <<<"$out")
  check=$(timeout 30 wrk -t1 -c"$c" -d2s -s "$work/check.lua" "http://127.0.0.1:$port/v1/chat/completions")
  wrong=$(awk '/^wrong answers:/ {print $3}' <<<"$check")
  errors=$(( errors + $(awk '/Non-2xx/ {n += $4} /Socket errors/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' <<<"$check") ))
  total=$(awk '/requests in/ {print $1}' <<<"$out")
  cpu=$(awk -v t="$(( after - before ))" -v hz="$ticks_per_second" -v n="$total" \
    'BEGIN {printf "%.1f us", t / hz / n * 1e6}')
  printf '%-12s %12s %10s %10s %10s %8s %8s %14s\n' "$c" "$rps" "$p50" "$p99" "$max" "$errors" "${wrong:-?}" "$cpu"
  if [ "$errors" != 0 ] || [ "${wrong:-1}" != 0 ]; then status=1; echo "$out" "$check" >&2; fi
done
printf 'server peak RSS (VmHWM): %s, RSS at end (VmRSS): %s\n' \
  "$(awk '/^VmHWM/ {printf "%.2f MiB", $2 / 1024}' /proc/$server/status)" \
  "$(awk '/^VmRSS/ {printf "%.2f MiB", $2 / 1024}' /proc/$server/status)"
exit $status
