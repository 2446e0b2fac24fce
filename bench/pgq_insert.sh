#!/bin/sh
# Side-by-side speed of pgq.insert_event: the original PgQ (C extension, `create extension pgq`)
# against our PL/pgSQL schema, on a throw-away cluster started here.
# Prints `RESULT name=value unit` lines (median of RUNS runs) and ours/original ratios.
#
#   bench/pgq_insert.sh            env: PGBIN (PostgreSQL bin dir), BENCH_PORT, EVENTS, TXNS, RUNS
set -eu

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${BENCH_PORT:-55439}
EVENTS=${EVENTS:-100000}
TXNS=${TXNS:-20000}
RUNS=${RUNS:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/pgq_bench.XXXXXX)
payload='{"id": 12345, "name": "some text value", "amount": 42.50, "flag": true}'

# PostgreSQL refuses to run as root: run the server tools as postgres then
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$dir"

cleanup() { as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT INT TERM

as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-p $PORT -k $dir -c listen_addresses='' -c synchronous_commit=off -c autovacuum=off" start >/dev/null

psql() { "$PGBIN/psql" -X -q -h "$dir" -p "$PORT" -U postgres -v ON_ERROR_STOP=1 "$@"; }

psql -d postgres -c "create database orig" -c "create database ours"
psql -d orig -c "create extension pgq"
"$top/sql/assemble.sh" pgq | psql -d ours
for db in orig ours; do
    psql -d "$db" -c "select pgq.create_queue('bench')" \
        -c "create table bench_plain (like pgq.event_template including defaults)" \
        -c "create index on bench_plain (ev_txid)" >/dev/null
done

# rate (per second) of COUNT calls of STMT inside one transaction, measured inside the server
one_tx_rate() {
    psql -d "$1" -At -c "
do \$\$
declare t0 timestamptz := clock_timestamp();
begin
    for i in 1 .. $EVENTS loop
        $2;
    end loop;
    raise notice 'rate=%', round($EVENTS / extract(epoch from clock_timestamp() - t0));
end \$\$;" 2>&1 | sed -n 's/.*rate=//p'
}

# transactions per second of one client sending one autocommit insert_event at a time
small_tx_rate() {
    echo "select pgq.insert_event('bench', 'bench', '$payload');" > "$dir/tx.sql"
    "$PGBIN/pgbench" -n -h "$dir" -p "$PORT" -U postgres -c 1 -t "$TXNS" -f "$dir/tx.sql" "$1" 2>/dev/null |
        sed -n 's/^tps = \([0-9.]*\).*/\1/p' | cut -d. -f1
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Runs alternate between the two databases so that load from elsewhere on the machine hits
# both alike; each figure is the median of RUNS runs.
ins="perform pgq.insert_event('bench', 'bench', '$payload')"
plain="insert into bench_plain (ev_id, ev_time, ev_type, ev_data) values (i, now(), 'bench', '$payload')"
i=0
while [ $i -lt "$RUNS" ]; do
    for db in orig ours; do
        one_tx_rate "$db" "$ins" >>"$dir/$db.one_tx"
        small_tx_rate "$db" >>"$dir/$db.small_tx"
        one_tx_rate "$db" "$plain" >>"$dir/$db.plain"
        psql -d "$db" -c "truncate bench_plain" -c "truncate pgq.event_1_0"
    done
    i=$((i + 1))
done
for db in orig ours; do
    echo "RESULT ${db}_insert_event_one_tx=$(median <"$dir/$db.one_tx") events/s"
    echo "RESULT ${db}_insert_event_small_tx=$(median <"$dir/$db.small_tx") tx/s"
    echo "RESULT ${db}_plain_insert_one_tx=$(median <"$dir/$db.plain") rows/s"
done
ratio() { awk -v a="$(median <"$dir/ours.$1")" -v b="$(median <"$dir/orig.$1")" 'BEGIN { printf "%.2f", a / b }'; }
echo "RESULT ratio_insert_event_one_tx=$(ratio one_tx) x"
echo "RESULT ratio_insert_event_small_tx=$(ratio small_tx) x"
