#!/usr/bin/env bash
# Builds the .deb (from the debug build the tests already made), installs it on this machine with
# apt, and proves what a person relies on: the app is in the desktop menu with its icons, the
# package registers the signet:// scheme (checked before the app ever runs, so the app's own
# run-time registration cannot hide a broken package), the installed binary starts under Xvfb,
# and a link opened with xdg-open reaches the running instance. Removes the package afterwards.
# Needs root (apt). Usage: ./scripts/check-deb.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DEB_INNER:-}" ]; then
  # Package: `tauri build --debug` reuses target/debug (same features as `cargo build`).
  ./ui/node_modules/.bin/tauri build --debug --bundles deb \
    --config '{"bundle":{"linux":{"deb":{"files":{"/usr/bin/signetctl":"target/debug/signetctl"}}}}}' \
    >/tmp/signet-deb-build.log 2>&1 \
    || { tail -40 /tmp/signet-deb-build.log; exit 1; }
  deb=$(ls -t target/debug/bundle/deb/*.deb | head -1)
  echo "deb: built $deb ($(du -h "$deb" | cut -f1))"
  dpkg-deb -I "$deb" | sed -n 's/^ \(Package\|Version\|Depends\): /deb:   \1: /p'
  sudo_cmd=(); [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$deb" >/tmp/signet-deb-install.log 2>&1 \
    || { cat /tmp/signet-deb-install.log; exit 1; }
  trap '"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq signet >/dev/null 2>&1 || true' EXIT
  echo "deb: installed"
  export DEB_INNER=1 KEEP_DISPLAY=1
  xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" ./scripts/with-keyring.sh "$0"
  exit
fi

fail() { echo "deb: $*"; exit 1; }
desktop=/usr/share/applications/Signet.desktop
[ -f "$desktop" ] || fail "no $desktop: the app would not appear in the desktop menu"
grep -qx 'Exec=signet %u' "$desktop" || fail "Exec does not pass the link (%u): $(grep ^Exec= "$desktop")"
grep -q '^MimeType=.*x-scheme-handler/signet;' "$desktop" || fail "the desktop entry does not claim x-scheme-handler/signet"
grep -q '^Categories=Utility;' "$desktop" || fail "no menu category"
desktop-file-validate "$desktop" || fail "desktop-file-validate refused $desktop"
for size in 32x32 128x128 256x256@2 512x512; do
  [ -f "/usr/share/icons/hicolor/$size/apps/signet.png" ] || fail "no $size icon"
done
/usr/bin/signetctl --version >/dev/null || fail "signetctl is not installed with the app"
unit=/usr/lib/systemd/user/signet-agent.service
[ -f "$unit" ] || fail "no $unit: the headless agent has no systemd user unit"
grep -qx 'ExecStart=/usr/bin/signetctl agent' "$unit" || fail "the unit does not start signetctl agent: $(grep ^ExecStart= "$unit")"
grep -qx 'WantedBy=default.target' "$unit" || fail "the unit cannot be enabled for the user session"
[ ! -e /etc/systemd/user/default.target.wants/signet-agent.service ] || fail "the unit is enabled by the package (it must stay off until the person enables it)"
echo "deb: $unit (ExecStart=/usr/bin/signetctl agent, off until enabled)"
echo "deb: menu entry $desktop (Exec=signet %u, MimeType x-scheme-handler/signet, icons 32/128/256/512), /usr/bin/signetctl"

# The scheme's handler as xdg-open will resolve it, in a fresh profile, before the first launch.
handler=$(xdg-mime query default x-scheme-handler/signet)
[ "$handler" = Signet.desktop ] || fail "xdg-mime resolves signet:// to '$handler', not Signet.desktop"
[ ! -e "$XDG_DATA_HOME/applications" ] || [ -z "$(ls -A "$XDG_DATA_HOME/applications")" ] || fail "the profile was not fresh"
echo "deb: xdg-mime resolves x-scheme-handler/signet to Signet.desktop (from the package alone)"

work=$(mktemp -d /tmp/signet-deb.XXXXXX)
export SIGNET_CONFIG="$work/config.toml" SIGNET_DATA_DIR="$work/data" SIGNET_KEYRING_NAMESPACE="deb-$$"
RUST_LOG=info /usr/bin/signet >"$work/app.log" 2>&1 &
app=$!
trap 'kill $app 2>/dev/null || true; wait 2>/dev/null || true' EXIT
timeout 60 xdotool search --sync --onlyvisible --name '^Signet$' >/dev/null || { cat "$work/app.log"; fail "the installed app's window did not appear"; }
echo "deb: the installed /usr/bin/signet started and mapped its window"
/usr/bin/signetctl list >/dev/null || fail "the installed signetctl cannot read the app's data"

# What a browser does with a signet:// redirect: xdg-open → Signet.desktop → `signet %u` → the
# second process hands the link to the running one. (A link with no sign-in in progress.)
timeout 20 xdg-open 'signet://oauth/callback/anyone?code=from-xdg-open&state=from-xdg-open'
refused="sign-in callback refused\|deep link refused"
for _ in $(seq 100); do grep -q "$refused" "$work/app.log" && break; sleep 0.1; done
grep -q "$refused" "$work/app.log" || { cat "$work/app.log"; fail "the link opened with xdg-open did not reach the running app"; }
kill -0 $app || fail "the running instance exited"
[ "$(pgrep -c -x signet)" = 1 ] || fail "a second instance kept running"
echo "deb: xdg-open delivered signet://… to the running instance (one instance), which refused the unknown sign-in"
echo "deb: ok"
