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

PORT=${BENCH_PORT:-55471}
EVENTS=${EVENTS:-200000}
RUNS=${RUNS:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
payload='{"id": 12345, "name": "some text value", "amount": 42.50, "flag": true}'

. "$top/bench/cluster.sh"
bench_start_cluster pgq_producer_bench synchronous_commit=off autovacuum=off
psql() { pg_psql "$@"; }
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
