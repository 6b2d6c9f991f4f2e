#!/usr/bin/env bash
# Sets up what is missing, builds the UI and starts the Signet desktop app (debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
npm run build --prefix ui
# A build run from the source tree registers signet:// only when asked (the package does it
# for an installed one): here, so that sign-ins coming back by deep link reach it.
exec cargo run --bin signet -- --register-scheme "$@"
