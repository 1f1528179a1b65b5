#!/usr/bin/env bash
# PostgreSQL at the capacity plan's scale (issue #23, deploy/README.md): the freeze
# (expansion) rate on PostgreSQL, with the same bench as the SQLite figure of bench/README.md
# "Dairy store", and N concurrent writers storing night plans into one PostgreSQL
# (plan_writes, N = 1, 2, 4, 8). A throwaway PostgreSQL with its durable defaults (fsync on,
# synchronous commit) on a free loopback port, stopped by pid at the end.
#
#   bash bench/pg_scale.sh [SUBS] [STATIONS] [HOUSEHOLDS] [DAYS]
set -euo pipefail
cd "$(dirname "$0")/.."
SUBS="${1:-250000}"
STATIONS="${2:-24}"
HOUSEHOLDS="${3:-500}"
DAYS="${4:-2}"
export MILKRUN_PG_DURABLE=1
# shellcheck source=../scripts/postgres.sh
source scripts/postgres.sh
pg_start
cargo build --release -p milkrun-bench --bin dairy --bin plan_writes
base="${MILKRUN_TEST_POSTGRES_URL%/*}"
bin="$(pg_bin_dir)"
port="${base##*:}"
"$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres milkrun_freeze
echo "== load before: $(uptime)"
/usr/bin/time -v target/release/dairy --subs "$SUBS" --close-orders 0 \
    --freeze-db "$base/milkrun_freeze" 2>&1 |
    grep -E "^(dairy|freeze|load|operations|expansion|re-run|pure)|Elapsed|Maximum resident|User time|System time|Percent of CPU"
echo "== load between: $(uptime)"
target/release/plan_writes --pg "$MILKRUN_TEST_POSTGRES_URL" --writers 1,2,4,8 \
    --stations "$STATIONS" --households "$HOUSEHOLDS" --days "$DAYS"
echo "== load after: $(uptime)"
