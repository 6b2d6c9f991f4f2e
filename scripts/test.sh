#!/usr/bin/env bash
# Sets up what is missing, then runs every test suite: formatting, lints, UI unit tests,
# the Rust tests (engine, CLI, protocol servers) on a real Secret Service, and the app window smoke test.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n== %s\n' "$*"; }

step "set up"
./scripts/setup.sh

step "format"
cargo fmt --all -- --check
# The provider kinds are declared inside the `kinds!` macro, where `cargo fmt` does not follow them.
rustfmt --edition 2021 --check src-tauri/core/src/provider/*.rs

step "UI: type check, unit tests, build"
npm run check --prefix ui
npm test --prefix ui
npm run build --prefix ui

step "build (app, engine, CLI, test servers)"
cargo build --workspace --all-targets --locked

step "lints"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "lints for Windows: the token agent's named pipe and every cfg(windows) path (check only)"
cargo clippy --target x86_64-pc-windows-gnu -p signet-core -p signetctl -p signet --locked -- -D warnings

step "the token agent on Windows, run: signetctl.exe under Wine (named pipe, Credential Manager, Ctrl-C)"
./scripts/wine-agent.sh

step "engine layering: no tauri, gtk or webkit under signet-core"
if cargo tree -p signet-core -e normal --prefix none | grep -Eiq '^(tauri|gtk|webkit|wry)'; then
  echo "signet-core depends on a GUI crate:"; cargo tree -p signet-core -e normal -i tauri || true; exit 1
fi

step "Rust tests on a private Secret Service"
./scripts/with-keyring.sh cargo test --workspace --exclude signet-e2e --locked

step "TypeScript types generated from Rust are committed and current"
if ! git diff --quiet -- ui/src/lib/bindings || [ -n "$(git ls-files --others --exclude-standard ui/src/lib/bindings)" ]; then
  echo "ui/src/lib/bindings changed when regenerated from Rust: commit the new files."
  git status --short -- ui/src/lib/bindings
  exit 1
fi

step "end-to-end tests in the real app window (Xvfb, WebDriver)"
KEEP_DISPLAY=1 xvfb-run -a -s "-screen 0 1280x1024x24 -nolisten tcp" ./scripts/with-keyring.sh cargo test -p signet-e2e --locked -- --test-threads=1

step "app window smoke test under Xvfb"
./scripts/smoke-window.sh

step "installer: build the .deb, install it, menu entry, signet:// registration, xdg-open to the running app"
./scripts/check-deb.sh

step "fuzzing: every parser of untrusted input, 20 s per target from the committed corpus"
./scripts/fuzz.sh 20
