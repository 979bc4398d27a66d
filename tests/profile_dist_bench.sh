#!/usr/bin/env bash
# Profile each stage of dist_bench: a system-wide `perf record` of a few seconds inside each
# stage, and PostgreSQL's statement times per stage (pg_stat_statements, reset at each
# stage's start). Needs perf, and pg_stat_statements loaded by the server
# (shared_preload_libraries; this script creates the extension in database postgres).
#
#   tests/profile_dist_bench.sh [OUT_DIR] [dist_bench arguments…]
#
# Then: perf report -i OUT_DIR/<stage>.data --no-children --sort comm,dso,sym --stdio
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/innohub-profile}
shift || true
mkdir -p "$out"
psql=(psql -h 127.0.0.1 -U postgres -d postgres -q)
"${psql[@]}" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
"${psql[@]}" -c "SELECT pg_stat_statements_reset()" >/dev/null
cargo build --release --locked --workspace --bins
log="$out/dist_bench.out"
target/release/dist_bench "$@" >"$log" 2>&1 &
bench=$!
statements() {
  "${psql[@]}" -P pager=off -c "SELECT calls, round(total_exec_time::numeric) AS ms, \
    round((total_exec_time / calls)::numeric, 3) AS per_call, rows, \
    left(regexp_replace(query, '\s+', ' ', 'g'), 160) AS statement \
    FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 15" >"$out/statements_$1.txt"
  "${psql[@]}" -c "SELECT pg_stat_statements_reset()" >/dev/null
}
profile() { perf record -a -F 999 -o "$out/$1.data" -- sleep "$2" >/dev/null 2>&1; }
reached() { until grep -q "$1" "$log"; do sleep 0.2; kill -0 $bench 2>/dev/null || return 1; done; }
reached "starting the relay" && statements load && profile relay 1
reached "relay: drained" && statements relay
reached "starting the projections service" && statements raw_producer && sleep 2 && profile projection 6
reached "projection: applied" && statements projection && sleep 2 && profile backlog 3
reached "backlog(first: 50) at" && statements backlog && sleep 2 && profile rebuild 8
reached "rebuilt " && statements rebuild
reached "freshness:" && sleep 5 && profile freshness 10
wait $bench
statements freshness
echo "profiles and statement times in $out"
