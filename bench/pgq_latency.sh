#!/bin/sh
# Delivery latency, from insert_event's commit to the event coming back to a consumer, with the
# ticker at ticker_period 100 ms and 10 ms and ticker_max_count 1 (every event asks for a tick):
#   original_poll  the original C pgqd over the original C PgQ, polling consumer (10 ms poll);
#   ours_poll      our pgqd over our PL/pgSQL PgQ, the same polling consumer;
#   ours_listen    our pgqd over our PgQ, a consumer listening for pgqd's tick notifications;
#   ours_commit    the same with the queue set to ticker_on_commit: pgqd ticks after each commit.
# The consumer is examples/latency.rs (the Rust library) in every case, so only ticker and
# schema differ. Also the ticker's CPU seconds and ticks during each run (one run: COUNT events,
# one every INTERVAL ms, about 26 s by default, so the CPU figures are not a few clock ticks).
# Each figure is the median of RUNS runs; the cases alternate within a run so that load from
# elsewhere on the machine hits them alike. Prints `RESULT name=value unit`.
#
#   bench/pgq_latency.sh      env: PGBIN, BENCH_PORT, COUNT (700), INTERVAL (37 ms), RUNS (3),
#                             PERIODS (ticker periods in ms, "100 10")
set -eu

PORT=${BENCH_PORT:-55441}
COUNT=${COUNT:-700}
INTERVAL=${INTERVAL:-37}
RUNS=${RUNS:-3}
PERIODS=${PERIODS:-100 10}
POLL_MS=10
top=$(cd "$(dirname "$0")/.." && pwd)
C_PGQD=${C_PGQD:-/usr/bin/pgqd}

. "$top/bench/cluster.sh"
daemon_pid=
bench_on_exit() { if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null; fi; }

(cd "$top" && cargo build --release --quiet --bin skytools --example latency)
SKYTOOLS=$top/target/release/skytools
LATENCY=$top/target/release/examples/latency
# track_functions counts the ticker's calls of pgq.ticker, i.e. its ticks
bench_start_cluster pgq_latency synchronous_commit=off track_functions=all
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

# CPU nanoseconds of every thread of a process
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%d", s }'; }
# Ticks so far: the original's pgqd calls pgq.ticker(), ours pgq.ticker(queue) per queue (one).
ticks() {
    psql -d "$1" -c "select pg_stat_clear_snapshot()" -c "
        select coalesce(max(calls) filter (where funcid = 'pgq.ticker()'::regprocedure), 0)
               + case when current_database() = 'ours'
                      then coalesce(max(calls) filter (where funcid = 'pgq.ticker(text)'::regprocedure), 0)
                      else 0 end
          from pg_stat_user_functions" | tail -1
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# one NAME DAEMON DB MODE PERIOD_MS: start the daemon, measure one consumer run, stop it.
one() {
    name=$1 daemon=$2 db=$3 mode=$4 period=$5
    case $name in
    ours_commit_*) on_commit=on ;;
    *) on_commit=off ;;
    esac
    if [ "$db" = ours ]; then
        psql -d ours -c "select pgq.set_queue_config('lat', 'ticker_on_commit', '$on_commit')" >/dev/null
    fi
    cat >"$dir/$name.ini" <<INI
[pgqd]
base_connstr = host=$dir port=$PORT user=postgres
database_list = $db
ticker_period = $(awk -v p="$period" 'BEGIN { print p / 1000 }')
logfile = $dir/$name.log
syslog = 0
INI
    # CPU and ticks both from the daemon's start to the end of the consumer's run
    t0=$(ticks "$db")
    "$daemon" -q "$dir/$name.ini" 2>>"$dir/$name.stderr" &
    daemon_pid=$!
    sleep 1
    out=$("$LATENCY" "host=$dir port=$PORT user=postgres dbname=$db" lat "$mode" "$POLL_MS" "$COUNT" "$INTERVAL")
    cpu=$(cpu_ns "$daemon_pid")
    kill -INT "$daemon_pid"
    wait "$daemon_pid" 2>/dev/null || true
    daemon_pid=
    # the server publishes a backend's function counts when it goes idle or exits
    sleep 1
    t1=$(ticks "$db")
    echo "$out" | tr ' ' '\n' | while IFS== read -r k v; do
        [ "$k" = events ] || echo "$v" >>"$dir/res.$name.$k"
    done
    awk -v c="$cpu" 'BEGIN { printf "%.3f\n", c / 1e9 }' >>"$dir/res.$name.cpu"
    echo $((t1 - t0)) >>"$dir/res.$name.ticks"
}

for period in $PERIODS; do
    cases="original_poll_${period}ms ours_poll_${period}ms ours_listen_${period}ms ours_commit_${period}ms"
    r=1
    while [ "$r" -le "$RUNS" ]; do
        one "original_poll_${period}ms" "$C_PGQD" orig poll "$period"
        one "ours_poll_${period}ms" "$dir/bin/pgqd" ours poll "$period"
        one "ours_listen_${period}ms" "$dir/bin/pgqd" ours listen "$period"
        one "ours_commit_${period}ms" "$dir/bin/pgqd" ours listen "$period"
        r=$((r + 1))
    done
    for name in $cases; do
        for k in p50_ms p99_ms max_ms; do
            echo "RESULT latency_${name}_${k%_ms}=$(median <"$dir/res.$name.$k") ms"
        done
        echo "RESULT pgqd_cpu_${name}=$(median <"$dir/res.$name.cpu") s"
        echo "RESULT pgqd_ticks_${name}=$(median <"$dir/res.$name.ticks") ticks"
        echo "RESULT pgqd_cpu_per_tick_${name}=$(paste -d' ' "$dir/res.$name.cpu" "$dir/res.$name.ticks" |
            awk '{ printf "%.1f\n", $1 * 1e6 / $2 }' | median) us"
    done
done
