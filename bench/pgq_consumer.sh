#!/bin/sh
# Consumer drain rate on one batch of EVENTS events: the Rust library (examples/drain.rs,
# cursor fetches of 300 like the original) against the original Python consumer (python3-pgq
# pgq.Consumer with its default lazy fetch of 300, counting events in process_event) and a bare
# psql loop (next_batch, get_batch_events to /dev/null, finish_batch). All read the same batch
# of our pgq schema on a throw-away cluster started here; runs alternate between them.
# Prints `RESULT name=value unit` lines, each the median of RUNS runs.
#
#   bench/pgq_consumer.sh        env: PGBIN, BENCH_PORT, EVENTS, RUNS
set -eu

PORT=${BENCH_PORT:-55472}
EVENTS=${EVENTS:-300000}
RUNS=${RUNS:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
payload='{"id": 12345, "name": "some text value", "amount": 42.50, "flag": true}'

. "$top/bench/cluster.sh"
bench_start_cluster pgq_consumer_bench synchronous_commit=off autovacuum=off
psql() { pg_psql "$@"; }
connstr="host=$dir port=$PORT user=postgres dbname=bench"

(cd "$top" && cargo build -q --release && cargo build -q --release --example drain --example bulk_produce)
psql -d postgres -c "create database bench"
"$top/target/release/skytools" install pgq --db "$connstr" >/dev/null
psql -d bench -c "select pgq.create_queue('bench')" >/dev/null

cat >"$dir/consumer.py" <<'PY'
import sys, time
import pgq

class Count(pgq.Consumer):
    count = 0
    def process_event(self, db, ev):
        self.count += len(ev.data)
        ev.tag_done()

t0 = time.time()
c = Count('py', 'db', sys.argv[1:])
c.start()
print('rate=%d' % (int(sys.argv[2]) / (time.time() - t0)))
PY
ini() {
    printf '[py]\njob_name = %s\ndb = %s\nqueue_name = bench\nloop_delay = 0\nlogfile = %s/py.log\npidfile = %s/py.pid\n' \
        "$1" "$connstr" "$dir" "$dir" >"$dir/$1.ini"
}

now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

i=0
while [ $i -lt "$RUNS" ]; do
    for who in rust py psql; do psql -d bench -c "select pgq.register_consumer('bench', '${who}_$i')" >/dev/null; done
    "$top/target/release/examples/bulk_produce" "$connstr" bench "$EVENTS" "$payload" >/dev/null
    psql -d bench -c "select pgq.force_tick('bench')" -c "select pgq.ticker('bench')" >/dev/null

    "$top/target/release/examples/drain" "$connstr" bench "rust_$i" | sed -n 's/.* rate=\([0-9]*\).*/\1/p' >>"$dir/rust"

    ini "py_$i"
    /usr/bin/python3 "$dir/consumer.py" "$dir/py_$i.ini" "$EVENTS" -q | sed -n 's/rate=//p' >>"$dir/py"

    t0=$(now)
    psql -d bench <<SQL
begin;
select batch_id from pgq.next_batch_info('bench', 'psql_$i') \gset
select * from pgq.get_batch_events(:batch_id) \g /dev/null
select pgq.finish_batch(:batch_id) \g /dev/null
commit;
SQL
    t1=$(now)
    awk "BEGIN { printf \"%d\\n\", $EVENTS / ($t1 - $t0) }" >>"$dir/psql"
    # Every consumer must have drained the batch, or its rate means nothing.
    behind=$(psql -d bench -At -c "select string_agg(consumer_name, ',') from pgq.get_consumer_info('bench')
        where consumer_name like '%\\_$i' and last_tick < (select max(tick_id) from pgq.tick)")
    [ -z "$behind" ] || { echo "consumers did not drain: $behind" >&2; exit 1; }
    i=$((i + 1))
done
rust=$(median <"$dir/rust")
py=$(median <"$dir/py")
bare=$(median <"$dir/psql")
echo "RESULT rust_consumer=$rust events/s"
echo "RESULT python_consumer=$py events/s"
echo "RESULT psql_loop=$bare events/s"
echo "RESULT rust_vs_python_consumer=$(awk "BEGIN { printf \"%.2f\", $rust / $py }") ratio"
echo "RESULT rust_vs_psql_loop=$(awk "BEGIN { printf \"%.2f\", $rust / $bare }") ratio"
