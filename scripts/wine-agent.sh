#!/usr/bin/env bash
# The token agent's Windows transport, run and not only compiled: signetctl built for Windows
# (x86_64-pc-windows-gnu) runs under Wine, with its keyring in Wine's Credential Manager, against
# a local Easemob protocol server (fake-provider, a Linux process on 127.0.0.1). It checks that
#   1. `signetctl agent` serves its named pipe, `\\.\pipe\signet-agent-<id>`;
#   2. `signetctl token` in another process gets the account's token through the pipe, a forced
#      refresh included, and the Activity log names that client (signetctl.exe and its pid,
#      read from the pipe);
#   3. a second `signetctl agent` is refused and names the process that serves;
#   4. Ctrl-C stops the agent cleanly, and with the agent gone `signetctl token` answers on its
#      own (the Activity log then holds the two agent requests only).
# What Wine cannot show: a client of another Windows user being refused (Wine has one user).
#   ./scripts/wine-agent.sh
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-pc-windows-gnu
cargo build --locked --target "$target" -p signetctl
cargo build --locked -p signet-testkit --bin fake-provider
exe=$PWD/target/$target/debug/signetctl.exe
wine=/usr/lib/wine/wine64 wineserver=/usr/lib/wine/wineserver64

work=$(mktemp -d /tmp/signet-wine.XXXXXX)
provider_pid=''
cleanup() {
  [ -n "$provider_pid" ] && kill "$provider_pid" 2>/dev/null
  WINEPREFIX=$work/prefix "$wineserver" -k 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "wine-agent: FAILED: $*" >&2; exit 1; }
winpath() { local p=$1; echo "Z:${p//\//\\}"; }

# A Wine prefix of its own (no Mono or Gecko: nothing here needs them).
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
"$wine" wineboot --init >/dev/null 2>&1
x86_64-w64-mingw32-gcc -shared -O2 -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
  scripts/wine/bcryptprimitives.c scripts/wine/bcryptprimitives.def

target/debug/fake-provider easemob > "$work/provider.txt" &
provider_pid=$!
for _ in $(seq 200); do grep -q '^client_secret' "$work/provider.txt" 2>/dev/null && break; sleep 0.05; done
field() { awk -v k="$1" '$1 == k { print $3 }' "$work/provider.txt"; }
base=$(field base_url); org=$(field org); app=$(field app); client_id=$(field client_id); secret=$(field client_secret)
[ -n "$secret" ] || fail "the Easemob test server did not start"

mkdir -p "$work/data"
export SIGNET_CONFIG; SIGNET_CONFIG=$(winpath "$work/config.toml")
export SIGNET_DATA_DIR; SIGNET_DATA_DIR=$(winpath "$work/data")
export SIGNET_LOG=info
ctl() { "$wine" "$exe" "$@"; }

printf '1\n%s\n' "$secret" | ctl add-easemob --host "$base" --org "$org" --app "$app" --user c \
  --password-stdin --client-id "$client_id" --client-secret-stdin --ttl 3600 > "$work/added.txt" 2>&1 \
  || fail "add-easemob: $(cat "$work/added.txt")"
grep -q 'Added: Cici' "$work/added.txt" || fail "add-easemob: $(cat "$work/added.txt")"
echo "wine-agent: signetctl.exe added the account (keyring: Wine's Credential Manager)"

"$wine" "$exe" agent > "$work/agent.out" 2> "$work/agent.log" &
agent_pid=$!
for _ in $(seq 300); do grep -q 'token agent serving' "$work/agent.log" && break; sleep 0.1; done
grep -q 'token agent serving' "$work/agent.log" || fail "the agent did not start: $(cat "$work/agent.log")"
grep -o 'at=[^ ]*' "$work/agent.log" | head -1 | grep -q 'pipe\\signet-agent-' \
  || fail "the agent does not serve a named pipe: $(grep 'serving' "$work/agent.log")"
echo "wine-agent: the agent serves $(grep -o 'at=[^ ]*' "$work/agent.log" | head -1)"

first=$(ctl token Cici) || fail "token through the agent"
forced=$(ctl token Cici --min-ttl 2h) || fail "a forced refresh through the agent"
[ -n "$first" ] && [ -n "$forced" ] && [ "$first" != "$forced" ] \
  || fail "the agent's refresh did not bring a new token"
echo "wine-agent: two signetctl.exe token calls answered through the pipe, the second after a refresh"

if ctl agent > "$work/second.out" 2>&1; then fail "a second agent started"; fi
grep -q "already served by the headless agent" "$work/second.out" || fail "second agent: $(cat "$work/second.out")"
echo "wine-agent: a second agent was refused: $(grep -o 'already served by[^;]*' "$work/second.out")"

# Ctrl-C: the agent stores what is in flight, says so, and exits.
kill -INT "$agent_pid"
for _ in $(seq 100); do kill -0 "$agent_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$agent_pid" 2>/dev/null && fail "the agent did not stop on Ctrl-C"
wait "$agent_pid" || fail "the agent's exit status on Ctrl-C: $?"
grep -q 'the agent stopped' "$work/agent.log" || fail "the agent did not say it stopped: $(tail -3 "$work/agent.log")"
echo "wine-agent: the agent stopped on Ctrl-C: $(grep -o 'the agent stopped.*' "$work/agent.log")"
alone=$(ctl token Cici) || fail "token with no agent"
[ "$alone" = "$forced" ] || fail "with no agent, the stored token was not the one the agent refreshed"
echo "wine-agent: with the agent gone, signetctl.exe token answered on its own"

"$wineserver" -k   # Wine's own file locks on the database go with it
python3 - "$work/data/signet.sqlite3" <<'EOF'
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(
    "SELECT message, count FROM activity WHERE kind = 'agent_request'").fetchall()
served = sum(count for _, count in rows)
named = all("signetctl.exe (pid " in (message or "") for message, _ in rows)
if served != 2 or not named:
    sys.exit(f"wine-agent: FAILED: the Activity log should name two signetctl.exe requests: {rows}")
print(f"wine-agent: the Activity log names the client: {rows[0][0]}")
EOF
echo "wine-agent: ok"
