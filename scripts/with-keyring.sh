#!/usr/bin/env bash
# Runs a command on a private D-Bus session with an unlocked GNOME Keyring: a real Secret Service
# that never touches your own keyring (HOME and XDG dirs point at a throwaway folder).
set -euo pipefail
scratch=$(mktemp -d /tmp/signet-keyring.XXXXXX)
export HOME="$scratch/home" XDG_DATA_HOME="$scratch/data" XDG_CONFIG_HOME="$scratch/config" XDG_CACHE_HOME="$scratch/cache" XDG_RUNTIME_DIR="$scratch/run"
mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
# Keep cargo and rustup where they are when HOME moves.
export CARGO_HOME="${CARGO_HOME:-$(dirname "$(dirname "$(command -v cargo)")")}"
export RUSTUP_HOME="${RUSTUP_HOME:-$CARGO_HOME/../.rustup}"
# No DISPLAY (unless KEEP_DISPLAY=1, for the app itself): a locked keyring would otherwise
# open an invisible password prompt and hang.
unset_display=(-u DISPLAY); [ "${KEEP_DISPLAY:-}" = 1 ] && unset_display=()
exec env "${unset_display[@]}" dbus-run-session -- bash -c '
  eval "$(printf signet-test | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)"
  export GNOME_KEYRING_CONTROL
  exec "$@"' with-keyring "$@"
