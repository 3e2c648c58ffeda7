#!/usr/bin/env bash
# The HTTP front door under wrk (Debian's `wrk`): `veltrix serve` on the
# embedded backends (or whatever VELTRIX_* says), a tenant with GAMES
# riddle games and PLAYERS players each, then
#   1. GET /healthz          (the HTTP stack's floor, same server, same run)
#   2. POST /v1/play/actions (auth, idempotency claim, stream, outcome)
# for DURATION seconds each over CONNS connections. Prints wrk's report,
# one JSON line per run and the action route's mean time per stage. Usage:
#   scripts/bench-http.sh [DURATION] [CONNS]
# Env: VELTRIX_BIN (default: the release binary in CARGO_TARGET_DIR),
#      GAMES (4), PLAYERS (25), PORT (18080).
set -euo pipefail
DURATION=${1:-20}
CONNS=${2:-32}
GAMES=${GAMES:-4}
PLAYERS=${PLAYERS:-25}
PORT=${PORT:-18080}
HERE=$(cd "$(dirname "$0")" && pwd)
TARGET=${CARGO_TARGET_DIR:-$HERE/../target}
BIN=${VELTRIX_BIN:-$TARGET/release/veltrix}
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "no binary at $BIN (cargo build --release -p veltrix)" >&2; exit 1; }

TMP=$(mktemp -d)
BOOT=bench-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
BASE=http://127.0.0.1:$PORT
export VELTRIX_API__BOOTSTRAP_OPERATOR_KEY=$BOOT
export VELTRIX_API__LISTEN=127.0.0.1:$PORT
export VELTRIX_DATABASE_URL=${VELTRIX_DATABASE_URL:-sqlite://$TMP/veltrix.db?mode=rwc}
# The embedded log too: a run never reads (or leaves) another run's log.
export VELTRIX_STREAMS__EMBEDDED_DIR=${VELTRIX_STREAMS__EMBEDDED_DIR:-$TMP/log}
"$BIN" serve >"$TMP/serve.log" 2>&1 &
SERVE=$!
trap 'kill $SERVE 2>/dev/null; wait $SERVE 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 1 100); do
  curl -fs "$BASE/healthz" >/dev/null && break
  sleep 0.2
done
curl -fs "$BASE/healthz" >/dev/null || { cat "$TMP/serve.log" >&2; exit 1; }

post() { # key path body
  curl -fsS -X "${METHOD:-POST}" -H "authorization: Bearer $1" \
    -H 'content-type: application/json' "$BASE$2" -d "$3"
}
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

post "$BOOT" /v1/tenants '{"tenant_id":"bench","name":"bench"}' >/dev/null
TKEY=$(post "$BOOT" /v1/keys '{"role":"tenant","tenant_id":"bench"}' | json "['key']")
METHOD=PUT post "$TKEY" /v1/tenants/bench/game-types/riddle '{"enabled":true}' >/dev/null
CONFIG='{"challenges":[{"id":"c1","answers":["forty two"],"points":100}]}'
TOKENS=""
echo "setting up $GAMES games x $PLAYERS players" >&2
for g in $(seq 1 "$GAMES"); do
  post "$TKEY" /v1/tenants/bench/games "{\"game_id\":\"g$g\",\"game_type\":\"riddle\",\"config\":$CONFIG}" >/dev/null
  for p in $(seq 1 "$PLAYERS"); do
    t=$(post "$TKEY" "/v1/tenants/bench/games/g$g/players" "{\"player_id\":\"p$p\",\"team_id\":\"t$((p % 5))\"}" | json "['token']")
    TOKENS="$TOKENS${TOKENS:+,}$t"
  done
done
export TOKENS

echo "== GET /healthz, ${DURATION}s, $CONNS connections" >&2
wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "$BASE/healthz" | tee "$TMP/healthz.txt"
echo "== POST /v1/play/actions, ${DURATION}s, $CONNS connections" >&2
wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency -s "$HERE/actions.lua" "$BASE" | tee "$TMP/actions.txt"
grep '^JSON' "$TMP/actions.txt" | sed 's/^JSON /actions: /'
curl -fs "$BASE/metrics" >"$TMP/metrics.txt" || true
grep -E '^veltrix_outbox_pending|^veltrix_sqlite_writer_|route="/v1/play/actions",status' "$TMP/metrics.txt" || true
# Where the action route's time went (mean per stage, veltrix_action_stage_seconds).
python3 - "$TMP/metrics.txt" <<'PY'
import re, sys
sums, counts = {}, {}
for line in open(sys.argv[1]):
    m = re.match(r'veltrix_action_stage_seconds_(sum|count)\{stage="(\w+)"\} (\S+)', line)
    if m:
        (sums if m.group(1) == "sum" else counts)[m.group(2)] = float(m.group(3))
order = ["claim", "submit", "to_poll", "plugin", "commit", "boards", "wake"]
parts = [f"{k} {1000 * sums[k] / counts[k]:.2f}" for k in order if counts.get(k)]
print("stages (mean ms): " + ", ".join(parts))
PY
