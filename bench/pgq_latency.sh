#!/bin/sh
# Delivery latency, from insert_event's commit to the event coming back to a consumer, with the
# ticker at ticker_period 100 ms and 10 ms and ticker_max_count 1 (every event asks for a tick):
#   - the original C pgqd over the original C PgQ, polling consumer (10 ms poll);
#   - our pgqd over our PL/pgSQL PgQ, the same polling consumer;
#   - our pgqd over our PgQ, a consumer listening for pgqd's tick notifications.
# The consumer is examples/latency.rs (the Rust library) in every case, so only ticker and
# schema differ. Also the ticker's CPU seconds during each run. Prints `RESULT name=value unit`.
#
#   bench/pgq_latency.sh      env: PGBIN, BENCH_PORT, COUNT (200 events), INTERVAL (37 ms), RUNS (3)
set -eu

PORT=${BENCH_PORT:-55441}
COUNT=${COUNT:-200}
INTERVAL=${INTERVAL:-37}
RUNS=${RUNS:-3}
POLL_MS=10
top=$(cd "$(dirname "$0")/.." && pwd)
C_PGQD=${C_PGQD:-/usr/bin/pgqd}

. "$top/bench/cluster.sh"
daemon_pid=
bench_on_exit() { if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null; fi; }

(cd "$top" && cargo build --release --quiet --bin skytools --example latency)
SKYTOOLS=$top/target/release/skytools
LATENCY=$top/target/release/examples/latency
bench_start_cluster pgq_latency synchronous_commit=off
mkdir -p "$dir/bin"
ln -s "$SKYTOOLS" "$dir/bin/pgqd"
psql() { pg_psql -At "$@"; }
psql -d postgres -c "create database orig" -c "create database ours"
psql -d orig -c "create extension pgq"
"$SKYTOOLS" install pgq --db "host=$dir port=$PORT user=postgres dbname=ours" >/dev/null
for db in orig ours; do
    psql -d "$db" -c "select pgq.create_queue('lat')" \
        -c "select pgq.set_queue_config('lat', 'ticker_max_count', '1')" >/dev/null
done

tck=$(getconf CLK_TCK)
cpu_seconds() { awk -v t="$tck" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$1/stat"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# one NAME DAEMON DB MODE PERIOD_MS: start the daemon, measure one consumer run, stop it.
one() {
    name=$1 daemon=$2 db=$3 mode=$4 period=$5
    cat >"$dir/$name.ini" <<INI
[pgqd]
base_connstr = host=$dir port=$PORT user=postgres
database_list = $db
ticker_period = $(awk -v p="$period" 'BEGIN { print p / 1000 }')
logfile = $dir/$name.log
syslog = 0
INI
    "$daemon" -q "$dir/$name.ini" &
    daemon_pid=$!
    sleep 1
    out=$("$LATENCY" "host=$dir port=$PORT user=postgres dbname=$db" lat "$mode" "$POLL_MS" "$COUNT" "$INTERVAL")
    cpu=$(cpu_seconds "$daemon_pid")
    kill -INT "$daemon_pid"
    wait "$daemon_pid" 2>/dev/null || true
    daemon_pid=
    echo "$out" | tr ' ' '\n' | while IFS== read -r k v; do
        [ "$k" = events ] || echo "$v" >>"$dir/res.$name.$k"
    done
    echo "$cpu" >>"$dir/res.$name.cpu"
}

for period in 100 10; do
    r=1
    while [ "$r" -le "$RUNS" ]; do
        one "original_poll_${period}ms" "$C_PGQD" orig poll "$period"
        one "ours_poll_${period}ms" "$dir/bin/pgqd" ours poll "$period"
        one "ours_listen_${period}ms" "$dir/bin/pgqd" ours listen "$period"
        r=$((r + 1))
    done
    for name in "original_poll_${period}ms" "ours_poll_${period}ms" "ours_listen_${period}ms"; do
        for k in p50_ms p99_ms max_ms; do
            echo "RESULT latency_${name}_${k%_ms}=$(median <"$dir/res.$name.$k") ms"
        done
        echo "RESULT pgqd_cpu_${name}=$(median <"$dir/res.$name.cpu") s"
    done
done
