#!/usr/bin/env bash
# Builds the release installer for this machine: a .deb on Debian/Ubuntu (tauri.conf.json also
# configures .msi on Windows, .dmg on macOS and an AppImage where linuxdeploy can be fetched).
# Prints the path; install it with `sudo apt install ./<path>`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
bundles=${BUNDLES:-deb}
# The package carries signetctl next to the app (tauri.conf.json bundle.linux.deb.files).
cargo build --release --locked -p signetctl
./ui/node_modules/.bin/tauri build --bundles "$bundles"
ls -1 target/release/bundle/*/*.{deb,AppImage,msi,dmg} 2>/dev/null || true
