#!/usr/bin/env bash
# Installs what Signet needs to build, run and test on Debian 12 / Ubuntu: system packages
# (only those missing; needs root or sudo) and the UI's npm packages (exact versions from the lock file).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # build
  build-essential pkg-config file libssl-dev libdbus-1-dev libwebkit2gtk-4.1-dev
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev
  # run and test headless
  xvfb xauth dbus gnome-keyring libsecret-tools webkit2gtk-driver xdotool x11-utils
  imagemagick xdg-utils desktop-file-utils curl nodejs npm
  # a desktop session's portal: GTK asks it at start-up, and the keyring e2e test starts it
  # before the Secret Service goes silent, as a login session does
  xdg-desktop-portal
  # the token agent's tests: a raw socket client run as another user (setpriv is util-linux's);
  # python3's sqlite3 module reads the Windows agent's Activity log
  python3 util-linux
  # the credential helper's test runs the real git over HTTP
  git
  # the Windows pass: C parts of dependencies (SQLite) compiled for the Windows target, and
  # Wine to run the Windows build of signetctl's token agent
  gcc-mingw-w64-x86-64 wine64
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node and npm may come from elsewhere than apt; only ask apt for them if they are absent.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<< "${missing[*]}"
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  echo "setup: Rust is not installed. Install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi

# The Windows target's standard library: the Windows lint pass, and the Windows signetctl run under Wine.
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx x86_64-pc-windows-gnu; then
  echo "setup: adding the x86_64-pc-windows-gnu target"
  rustup target add x86_64-pc-windows-gnu
fi

# tauri-driver: the WebDriver bridge the end-to-end tests use (with WebKitWebDriver from apt).
if ! command -v tauri-driver >/dev/null; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --locked --version '^2' --quiet
fi

if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "setup: installing the UI's npm packages"
  # `npm install` rather than `npm ci`: the lock file pins every package, but it can only list the
  # platform-specific optional binaries (Tauri CLI, rollup) that the registry served when it was
  # written, and `npm ci` refuses a lock without all of them. `npm install` keeps the locked versions.
  npm install --prefix ui --no-audit --no-fund --loglevel=error
fi
