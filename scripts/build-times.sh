#!/usr/bin/env bash
# Build and test times of this checkout, for docs/architecture.md's table.
#
#   scripts/build-times.sh API_FILE SDK_FILE [TARGET_DIR]
#
# 1. clean `cargo build` into an empty TARGET_DIR (default: a fresh temp dir;
#    the crates.io downloads are not counted: `cargo fetch` runs first);
# 2. `touch API_FILE` (one API handler) and `cargo build` again;
# 3. `touch SDK_FILE` (one SDK source file) and `cargo build` again;
# 4. `cargo test --workspace` (compiles the test binaries, then runs them;
#    needs the services .ci/run starts, and its Kafka environment).
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
timed() {
  local name=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >"$CARGO_TARGET_DIR/$name.log" 2>&1 || { echo "$name failed (see $CARGO_TARGET_DIR/$name.log)"; exit 1; }
  t1=$(date +%s.%N)
  printf '%-22s %8.1f s\n' "$name" "$(echo "$t1 - $t0" | bc)"
}
timed clean-build cargo build
touch "$api"
timed touch-api-handler cargo build
touch "$sdk"
timed touch-sdk-file cargo build
timed test-workspace cargo test --workspace
grep -hE '^test result:' "$CARGO_TARGET_DIR/test-workspace.log" \
  | awk '{p+=$4; f+=$6} END {print "tests passed " p ", failed " f}'
