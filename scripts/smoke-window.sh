#!/usr/bin/env bash
# Starts the real app under Xvfb on a private D-Bus session and keyring, with one account added
# through signetctl from a local protocol server; checks the window maps, that a second launch
# hands its deep link to the running instance, and saves a screenshot to artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p artifacts
bin=target/debug
[ -x $bin/signet ] && [ -x $bin/signetctl ] && [ -x $bin/fake-provider ] || cargo build --workspace --locked

if [ -z "${SMOKE_INNER:-}" ]; then
  export SMOKE_INNER=1 KEEP_DISPLAY=1
  exec xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" ./scripts/with-keyring.sh "$0"
fi

work=$(mktemp -d /tmp/signet-smoke.XXXXXX)
export SIGNET_CONFIG="$work/config.toml" SIGNET_DATA_DIR="$work/data" SIGNET_KEYRING_NAMESPACE="smoke-$$"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

$bin/fake-provider oidc > "$work/provider.txt" &
pids+=($!)
for _ in $(seq 100); do grep -q client_secret "$work/provider.txt" 2>/dev/null && break; sleep 0.1; done
val() { sed -n "s/^$1 *= //p" "$work/provider.txt"; }

$bin/signetctl add-oidc corp --issuer "$(val issuer)" --client-id "$(val client_id)"
val client_secret | $bin/signetctl secret-set corp
printf '#!/bin/sh\nexec curl -sfL -o /dev/null "$1"\n' > "$work/browser.sh"; chmod +x "$work/browser.sh"
BROWSER="$work/browser.sh" $bin/signetctl add corp
$bin/signetctl list

RUST_LOG=info $bin/signet > "$work/app.log" 2>&1 &
pids+=($!)
if ! timeout 60 xdotool search --sync --onlyvisible --name '^Signet$' > /dev/null; then
  echo "smoke: the Signet window did not appear"; cat "$work/app.log"; exit 1
fi
sleep 2 # let the webview paint the list before the screenshot
import -window root artifacts/smoke-window.png
echo "smoke: window mapped; screenshot in artifacts/smoke-window.png"

# A second launch with a (forged) sign-in link hands it to the running app and exits at once.
start=$(date +%s%N)
timeout 20 $bin/signet 'signet://oauth/callback/corp?code=forged&state=forged'
echo "smoke: second launch exited after $(( ($(date +%s%N) - start) / 1000000 )) ms"
for _ in $(seq 50); do grep -q "deep link\|sign-in callback refused" "$work/app.log" && break; sleep 0.1; done
grep -q "sign-in callback refused" "$work/app.log" || { echo "smoke: the running app did not receive the deep link"; cat "$work/app.log"; exit 1; }
echo "smoke: the running instance received the deep link and refused it (no sign-in in progress)"
[ "$($bin/signetctl list --json | grep -c '"id"')" = 1 ] || { echo "smoke: account count changed"; exit 1; }
echo "smoke: ok"
