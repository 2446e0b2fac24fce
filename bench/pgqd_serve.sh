#!/bin/sh
# pgqd side by side with the original C pgqd (/usr/bin/pgqd): each serves the same DBS databases
# of a throw-away cluster, every database with one queue that a pgbench producer keeps busy,
# for SECS seconds. Measured per daemon: CPU seconds (user + system) and peak RSS of the daemon
# process, and the delivery delay of every event inserted in its window: from insert_event to
# the first tick that makes the event available to next_batch (median and max, read afterwards
# from pgq.tick and the event tables, so the measurement adds no load).
# The queues tick on every ticker call that has new events (ticker_max_lag = 0), so the delay
# shows the daemon's scheduling rather than pgq's batching thresholds.
# Prints `RESULT name=value unit` lines.
#
#   bench/pgqd_serve.sh     env: PGBIN, BENCH_PORT, DBS (50), SECS (60), RATE (events/s per db, 10),
#                           SKYTOOLS (binary, default target/release/skytools), C_PGQD (/usr/bin/pgqd)
set -eu

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${BENCH_PORT:-55461}
DBS=${DBS:-50}
SECS=${SECS:-60}
RATE=${RATE:-10}
top=$(cd "$(dirname "$0")/.." && pwd)
SKYTOOLS=${SKYTOOLS:-$top/target/release/skytools}
C_PGQD=${C_PGQD:-/usr/bin/pgqd}
dir=$(mktemp -d /tmp/pgqd_bench.XXXXXX)

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$dir"
daemon_pid=
cleanup() {
    [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

[ -x "$SKYTOOLS" ] || { echo "build first: cargo build --release" >&2; exit 1; }
[ -x "$C_PGQD" ] || echo "no original pgqd at $C_PGQD (Debian package pgqd): measuring this one only" >&2
mkdir -p "$dir/bin"
ln -s "$SKYTOOLS" "$dir/bin/pgqd"

as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-p $PORT -k $dir -c listen_addresses='' -c max_connections=$((DBS * 3 + 20)) -c synchronous_commit=off" \
    start >/dev/null
psql() { "$PGBIN/psql" -X -q -At -h "$dir" -p "$PORT" -U postgres -v ON_ERROR_STOP=1 "$@"; }

i=1
while [ "$i" -le "$DBS" ]; do
    psql -d postgres -c "create database b$i"
    psql -d "b$i" -c "create extension pgq" \
        -c "select pgq.create_queue('busy')" \
        -c "select pgq.set_queue_config('busy', 'ticker_max_lag', '0')" >/dev/null
    i=$((i + 1))
done
echo "select pgq.insert_event('busy', 'bench', 'payload ' || random()::text);" >"$dir/insert.sql"

# run NAME BINARY: one daemon, SECS seconds of producers, then CPU, RSS and delays.
run() {
    name=$1 bin=$2
    cat >"$dir/$name.ini" <<EOF
[pgqd]
base_connstr = host=$dir port=$PORT user=postgres
initial_database = postgres
logfile = $dir/$name.log
pidfile = $dir/$name.pid
syslog = 0
EOF
    start=$(psql -d postgres -c "select now()")
    "$bin" -q "$dir/$name.ini" &
    daemon_pid=$!
    producers=
    i=1
    while [ "$i" -le "$DBS" ]; do
        pgbench -n -h "$dir" -p "$PORT" -U postgres -c 1 -R "$RATE" -T "$SECS" -f "$dir/insert.sql" "b$i" \
            >/dev/null 2>&1 &
        producers="$producers $!"
        i=$((i + 1))
    done
    # shellcheck disable=SC2086
    wait $producers
    # Time for the last events to get their tick.
    sleep 3
    ticks=$(( $(cut -d' ' -f14 "/proc/$daemon_pid/stat") + $(cut -d' ' -f15 "/proc/$daemon_pid/stat") ))
    rss=$(awk '/VmHWM/ {print $2}' "/proc/$daemon_pid/status")
    threads=$(awk '/Threads/ {print $2}' "/proc/$daemon_pid/status")
    kill -INT "$daemon_pid"
    wait "$daemon_pid" || true
    daemon_pid=
    end=$(psql -d postgres -c "select now()")
    : >"$dir/$name.delays"
    i=1
    while [ "$i" -le "$DBS" ]; do
        psql -d "b$i" -c "
            select coalesce(extract(epoch from (
                       select min(t.tick_time) from pgq.tick t
                        where t.tick_queue = q.queue_id
                          and txid_visible_in_snapshot(e.ev_txid, t.tick_snapshot)) - e.ev_time)::text, 'never')
              from pgq.queue q
              join pgq.event_1 e on true  -- the only queue of the database: id 1
             where q.queue_name = 'busy' and e.ev_time between '$start' and '$end'" >>"$dir/$name.delays"
        i=$((i + 1))
    done
    hz=$(getconf CLK_TCK)
    events=$(wc -l <"$dir/$name.delays")
    never=$(grep -c never "$dir/$name.delays" || true)
    grep -v never "$dir/$name.delays" | sort -g >"$dir/$name.sorted"
    n=$(wc -l <"$dir/$name.sorted")
    median=$(awk -v n="$n" 'NR == int((n + 1) / 2) {printf "%.3f", $1}' "$dir/$name.sorted")
    max=$(tail -1 "$dir/$name.sorted" | awk '{printf "%.3f", $1}')
    echo "RESULT ${name}_cpu_seconds=$(awk -v t="$ticks" -v hz="$hz" 'BEGIN {printf "%.2f", t / hz}') s"
    echo "RESULT ${name}_peak_rss=$rss kB"
    echo "RESULT ${name}_threads=$threads"
    echo "RESULT ${name}_events=$events (never ticked: $never)"
    echo "RESULT ${name}_delay_median=$median s"
    echo "RESULT ${name}_delay_max=$max s"
}

echo "pgqd side by side: $DBS databases, $RATE events/s each, $SECS s per daemon"
if [ -x "$C_PGQD" ]; then run c_pgqd "$C_PGQD"; fi
run rust_pgqd "$dir/bin/pgqd"
