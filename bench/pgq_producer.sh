#!/bin/sh
# Bulk producer speed: the Rust library's COPY into the current event table
# (pgq::insert_events_bulk) against the original Python helper (python3-pgq
# pgq.bulk_insert_events, also COPY) and against a plain INSERT of the same payload into an
# ordinary table with the event columns (a server-side loop: the cheapest way to write rows
# one statement at a time). Our pgq schema, a throw-away cluster started here.
# Prints `RESULT name=value unit` lines, each the median of RUNS runs.
#
#   bench/pgq_producer.sh        env: PGBIN, BENCH_PORT, EVENTS, RUNS
set -eu

PGBIN=${PGBIN:-$(pg_config --bindir)}
PORT=${BENCH_PORT:-55471}
EVENTS=${EVENTS:-200000}
RUNS=${RUNS:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/pgq_producer_bench.XXXXXX)
payload='{"id": 12345, "name": "some text value", "amount": 42.50, "flag": true}'

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$dir"
cleanup() { as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT INT TERM

as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-p $PORT -k $dir -c listen_addresses='' -c synchronous_commit=off -c autovacuum=off" start >/dev/null
psql() { "$PGBIN/psql" -X -q -h "$dir" -p "$PORT" -U postgres -v ON_ERROR_STOP=1 "$@"; }
connstr="host=$dir port=$PORT user=postgres dbname=bench"

(cd "$top" && cargo build -q --release && cargo build -q --release --example bulk_produce)
psql -d postgres -c "create database bench"
"$top/target/release/skytools" install pgq --db "$connstr" >/dev/null
psql -d bench -c "select pgq.create_queue('bench')" \
    -c "create table bench_plain (like pgq.event_template including defaults)" \
    -c "create index on bench_plain (ev_txid)" >/dev/null

cat >"$dir/bulk.py" <<PY
import sys, time, datetime
import psycopg2, pgq
db = psycopg2.connect(sys.argv[1])
rows = [[datetime.datetime.now(datetime.timezone.utc), 'bench', sys.argv[3]] for _ in range(int(sys.argv[2]))]
t0 = time.time()
curs = db.cursor()
pgq.bulk_insert_events(curs, rows, ['time', 'type', 'data'], 'bench')
db.commit()
print('rate=%d' % (len(rows) / (time.time() - t0)))
PY

plain_rate() {
    psql -d bench -At -c "
do \$\$
declare t0 timestamptz := clock_timestamp();
begin
    for i in 1 .. $EVENTS loop
        insert into bench_plain (ev_id, ev_time, ev_type, ev_data) values (i, now(), 'bench', '$payload');
    end loop;
    raise notice 'rate=%', round($EVENTS / extract(epoch from clock_timestamp() - t0));
end \$\$;" 2>&1 | sed -n 's/.*rate=//p'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

i=0
while [ $i -lt "$RUNS" ]; do
    "$top/target/release/examples/bulk_produce" "$connstr" bench "$EVENTS" "$payload" |
        sed -n 's/.*rate=//p' >>"$dir/rust"
    /usr/bin/python3 "$dir/bulk.py" "$connstr" "$EVENTS" "$payload" | sed -n 's/rate=//p' >>"$dir/python"
    plain_rate >>"$dir/plain"
    psql -d bench -c "truncate pgq.event_1, bench_plain"
    i=$((i + 1))
done
rust=$(median <"$dir/rust")
python=$(median <"$dir/python")
plain=$(median <"$dir/plain")
echo "RESULT rust_bulk_copy=$rust events/s"
echo "RESULT python_bulk_copy=$python events/s"
echo "RESULT plain_insert=$plain rows/s"
echo "RESULT rust_bulk_vs_plain_insert=$(awk "BEGIN { printf \"%.2f\", $rust / $plain }") ratio"
echo "RESULT rust_bulk_vs_python_bulk=$(awk "BEGIN { printf \"%.2f\", $rust / $python }") ratio"
