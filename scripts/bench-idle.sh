#!/usr/bin/env bash
# Idle resource benchmark (a bench, not a test): Signet with 100 accounts against a bare Tauri v2
# window built with the same toolchain and profile in the same run. Reports, per app, the time from
# launch to the first frame with the list (the page's report from the animation frame that paints
# it: Signet's frame drawn from the first screen, the bare window's `ready`) and to the first frame
# that answers input (Signet's mounted app; the bare window's same `ready`), the memory of the
# whole process tree (app + WebKit processes; RSS and PSS) after 10 s idle, and Signet's CPU time
# over IDLE_SECONDS idle.
#   PROFILE=release RUNS=5 IDLE_SECONDS=600 ./scripts/bench-idle.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${PROFILE:-release}; RUNS=${RUNS:-5}; IDLE_SECONDS=${IDLE_SECONDS:-600}; ACCOUNTS=${ACCOUNTS:-100}
dir=target/$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")

if [ -z "${BENCH_INNER:-}" ]; then
  npm run build --prefix ui >/dev/null
  cargo build --profile "$PROFILE" --locked -p signet -p bare-window -p signet-e2e --bins --features signet/test-hooks
  export BENCH_INNER=1 KEEP_DISPLAY=1 PROFILE RUNS IDLE_SECONDS ACCOUNTS
  exec xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" ./scripts/with-keyring.sh "$0"
fi

work=$(mktemp -d /tmp/signet-bench.XXXXXX)
export SIGNET_CONFIG="$work/config.toml" SIGNET_DATA_DIR="$work/data" SIGNET_KEYRING_NAMESPACE="bench-$$"
# The seeded accounts belong to an AIHubMix provider: without one, Signet would show its
# first-run guide instead of the account list.
printf '[[providers]]\nname = "aihubmix"\nkind = "aihubmix"\nclient_id = "bench"\nbase_url = "http://127.0.0.1:9"\nclient_secret_env = "BENCH_UNUSED"\n' > "$SIGNET_CONFIG"
"$dir/seed-accounts" "$ACCOUNTS" >/dev/null

tree_pids() { local p=$1; echo "$p"; for c in $(ps -o pid= --ppid "$p"); do tree_pids "$c"; done; }
sum_kb() { local field=$1 file=$2 total=0; shift 2; for p in "$@"; do v=$(awk -v f="$field:" '$1==f{print $2}' "/proc/$p/$file" 2>/dev/null || true); total=$((total + ${v:-0})); done; echo $total; }
cpu_ticks() { local total=0; for p in "$@"; do v=$(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0); total=$((total + v)); done; echo $total; }
now_ms() { date +%s%3N; }

# measure BINARY → prints "frame_ms interactive_ms rss_kb pss_kb processes"
measure() {
  local bin=$1 ready="$work/ready.$RANDOM"
  local start; start=$(now_ms)
  BENCH_READY_FILE="$ready" "$bin" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 600); do grep -q '^interactive ' "$ready" 2>/dev/null && break; sleep 0.05; done
  grep -q '^interactive ' "$ready" 2>/dev/null || { echo "bench: $bin never became interactive" >&2; kill "$pid"; exit 1; }
  local frame_ms=$(( $(awk '$1=="frame"{print $2; exit}' "$ready") - start ))
  local interactive_ms=$(( $(awk '$1=="interactive"{print $2; exit}' "$ready") - start ))
  sleep 10
  mapfile -t pids < <(tree_pids "$pid")
  echo "$frame_ms $interactive_ms $(sum_kb VmRSS status "${pids[@]}") $(sum_kb Pss smaps_rollup "${pids[@]}") ${#pids[@]}"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  sleep 1
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A R
for i in $(seq "$RUNS"); do
  for app in bare signet; do
    bin="$dir/bare-window"; [ $app = signet ] && bin="$dir/signet"
    read -r t it rss pss n < <(measure "$bin")
    echo "run $i $app: first frame after ${t} ms, interactive after ${it} ms, tree of $n processes: RSS $((rss/1024)) MiB, PSS $((pss/1024)) MiB"
    R[$app.t]+="$t "; R[$app.it]+="$it "; R[$app.rss]+="$rss "; R[$app.pss]+="$pss "
  done
done
m() { tr ' ' '\n' <<< "${R[$1]}" | grep . | median; }
bt=$(m bare.t); st=$(m signet.t); bit=$(m bare.it); sit=$(m signet.it); br=$(m bare.rss); sr=$(m signet.rss); bp=$(m bare.pss); sp=$(m signet.pss)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f×", a/b}'; }
echo
echo "| median of $RUNS ($PROFILE, $ACCOUNTS accounts) | Signet | bare Tauri v2 window | ratio |"
echo "|---|---:|---:|---:|"
echo "| launch → first frame with the list | $st ms | $bt ms | $(ratio "$st" "$bt") |"
echo "| launch → first frame that answers input | $sit ms | $bit ms | $(ratio "$sit" "$bit") |"
echo "| process-tree RSS after 10 s idle | $((sr/1024)) MiB | $((br/1024)) MiB | $(ratio "$sr" "$br") |"
echo "| process-tree PSS after 10 s idle | $((sp/1024)) MiB | $((bp/1024)) MiB | $(ratio "$sp" "$bp") |"

# CPU over IDLE_SECONDS of idling with the window open: both apps side by side, in the same
# minutes (idle processes barely compete for the two cores), each process tree sampled alone.
start_idle() { BENCH_READY_FILE="$work/cpu.$1.ready" "$2" >/dev/null 2>&1 & echo $!; }
bare_pid=$(start_idle bare "$dir/bare-window")
signet_pid=$(start_idle signet "$dir/signet")
for _ in $(seq 600); do grep -qs '^interactive ' "$work/cpu.bare.ready" && grep -qs '^interactive ' "$work/cpu.signet.ready" && break; sleep 0.05; done
sleep 10
mapfile -t bpids < <(tree_pids "$bare_pid"); mapfile -t spids < <(tree_pids "$signet_pid")
b0=$(cpu_ticks "${bpids[@]}"); s0=$(cpu_ticks "${spids[@]}")
sleep "$IDLE_SECONDS"
b1=$(cpu_ticks "${bpids[@]}"); s1=$(cpu_ticks "${spids[@]}")
hz=$(getconf CLK_TCK)
echo
kill -TERM "$signet_pid" "$bare_pid"; wait "$signet_pid" "$bare_pid" 2>/dev/null || true
awk -v s=$((s1 - s0)) -v b=$((b1 - b0)) -v hz="$hz" -v secs="$IDLE_SECONDS" 'BEGIN {
  printf "CPU time over %d s idle (process tree, user + system): Signet %.2f s, bare window %.2f s\n", secs, s/hz, b/hz }'
