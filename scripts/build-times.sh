#!/usr/bin/env bash
# Build and test times of this checkout, for docs/architecture.md's table.
#
#   scripts/build-times.sh API_FILE SDK_FILE [TARGET_DIR]
#
# 1. clean build: every workspace package is cleaned out of TARGET_DIR
#    (`cargo clean -p`, dependencies kept: they are the same crates before
#    and after a layout change, and take ~20 min cold on 2 cores), then
#    `cargo build`; with no TARGET_DIR, a fresh temp dir (dependencies
#    included; crates.io downloads are not counted: `cargo fetch` first);
# 2. `touch API_FILE` (one API handler) and `cargo build` again;
# 3. `touch SDK_FILE` (one SDK source file) and `cargo build` again;
# 4. `cargo test --workspace --no-run` (the test binaries), then
# 5. `cargo test --workspace` (runs them; needs the services .ci/run starts,
#    and its Kafka environment).
# Prints one `name seconds` line per step, wall-clock, measured with `date`.
set -euo pipefail
cd "$(dirname "$0")/.."
api=${1:?API_FILE}; sdk=${2:?SDK_FILE}
export CARGO_TARGET_DIR=${3:-$(mktemp -d /tmp/veltrix-build-times.XXXX)}
mkdir -p "$CARGO_TARGET_DIR"
export CARGO_TERM_COLOR=never
export VELTRIX_KAFKA_BROKERS=${VELTRIX_KAFKA_BROKERS:-127.0.0.1:9092}
export VELTRIX_STREAMS__REWARD__COMPRESSION=${VELTRIX_STREAMS__REWARD__COMPRESSION:-zstd}
export VELTRIX_TANSU_BIN=${VELTRIX_TANSU_BIN:-$HOME/.cargo/bin/tansu}
cargo fetch -q
logs=$(mktemp -d /tmp/veltrix-build-logs.XXXX)
timed() {
  local name=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >"$logs/$name.log" 2>&1 || { echo "$name failed (see $logs/$name.log)"; exit 1; }
  t1=$(date +%s.%N)
  printf '%-22s %8.1f s\n' "$name" "$(echo "$t1 - $t0" | bc)"
}
if [ -n "${3:-}" ]; then
  # The workspace's own packages, and the guests' nested build (its own
  # target dir under TARGET_DIR/wasm-guests, rebuilt whole).
  for p in $(cargo metadata --no-deps --format-version 1 \
      | python3 -c 'import json,sys; print(" ".join(p["name"] for p in json.load(sys.stdin)["packages"]))'); do
    cargo clean -q -p "$p" 2>/dev/null || true
  done
  rm -rf "$CARGO_TARGET_DIR/wasm-guests"
fi
timed clean-build cargo build
touch "$api"
timed touch-api-handler cargo build
touch "$sdk"
timed touch-sdk-file cargo build
timed build-tests cargo test --workspace --no-run
timed test-workspace cargo test --workspace
grep -hE '^test result:' "$logs/test-workspace.log" \
  | awk '{p+=$4; f+=$6} END {print "tests passed " p ", failed " f}'
grep -cE '^     Running ' "$logs/test-workspace.log" | sed 's/^/test binaries run: /'
