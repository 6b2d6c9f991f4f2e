#!/usr/bin/env bash
# Fuzzes every parser of untrusted input with cargo-fuzz (libFuzzer + AddressSanitizer) for a
# bounded time per target, starting from the committed corpus in fuzz/corpus/<target>/ (new
# interesting inputs are added there). Usage: ./scripts/fuzz.sh [seconds per target, default 30]
# A crash fails the run and leaves the input in fuzz/artifacts/<target>/: fix it and add the
# input to src-tauri/core/tests/fuzz_regressions.rs, which replays every saved input.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version '^0.13' --quiet
# cargo-fuzz passes nightly flags (-Zsanitizer); the stable toolchain accepts them this way.
export RUSTC_BOOTSTRAP=1
(cd fuzz && cargo fuzz build --release)
log=$(mktemp)
for t in callback feishu google easemob aihubmix oidc; do
  mkdir -p "fuzz/corpus/$t"
  if ! (cd fuzz && cargo fuzz run --release "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -timeout=10) >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz: $t failed; the input is in fuzz/artifacts/$t/"
    exit 1
  fi
  runs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  echo "fuzz: $t — ${seconds} s, ${runs:-?} inputs, corpus $(ls "fuzz/corpus/$t" | wc -l) files, no crash"
done
