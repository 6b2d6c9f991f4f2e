#!/usr/bin/env bash
# Sets up what is missing, builds the UI and starts the Signet desktop app (debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
npm run build --prefix ui
exec cargo run --bin signet "$@"
