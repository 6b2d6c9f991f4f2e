#!/usr/bin/env bash
# Refresh-storm benchmark (a bench, not a test): N accounts due at once at a local OpenID Connect
# provider with single-use refresh tokens, on a private GNOME Keyring, refreshed by the running
# release app (under Xvfb) and then by `signetctl refresh --all`; the baseline is the keyring's
# own write time for the same accounts, measured in the same run. See BENCHMARKS.md.
#   ACCOUNTS="100 1000" RATE=1000 ./scripts/bench-storm.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ACCOUNTS=${ACCOUNTS:-"100 1000"}; RATE=${RATE:-1000}

if [ -z "${BENCH_INNER:-}" ]; then
  npm run build --prefix ui >/dev/null
  # The IPC capture (to see what the window was told) is a test hook: release build with it on.
  cargo build --release --locked -p signet -p signetctl --features signet/test-hooks
  cargo bench --locked -p signet-e2e --bench storm --no-run
  # Each size on its own X server and its own new GNOME Keyring.
  for n in $ACCOUNTS; do
    BENCH_INNER=1 KEEP_DISPLAY=1 ACCOUNTS=$n RATE=$RATE \
      xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" ./scripts/with-keyring.sh "$0"
  done
  exit 0
fi

cargo bench --locked -p signet-e2e --bench storm -- --accounts "$ACCOUNTS" --rate "$RATE"
