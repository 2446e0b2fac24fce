#!/bin/sh
# Side-by-side speed of pgq.insert_event: the original PgQ (C extension, `create extension pgq`)
# against our PL/pgSQL schema, on a throw-away cluster started here.
# Prints `RESULT name=value unit` lines (median of RUNS runs) and ours/original ratios.
#
#   bench/pgq_insert.sh            env: EVENTS, TXNS, and those of bench/pgq_lib.sh
set -eu

EVENTS=${EVENTS:-100000}
TXNS=${TXNS:-20000}
. "$(dirname "$0")/pgq_lib.sh"

for db in orig ours; do
    psql -d "$db" -c "create table bench_plain (like pgq.event_template including defaults)" \
        -c "create index on bench_plain (ev_txid)"
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

# Runs alternate between the two databases so that load from elsewhere on the machine hits
# both alike; each figure is the median of RUNS runs.
ins="perform pgq.insert_event('bench', 'bench', '$payload')"
ins7="perform pgq.insert_event('bench', 'bench', '$payload', 'public.some_table', null, null, null)"
plain="insert into bench_plain (ev_id, ev_time, ev_type, ev_data) values (i, now(), 'bench', '$payload')"
i=0
while [ $i -lt "$RUNS" ]; do
    for db in orig ours; do
        one_tx_rate "$db" "$ins" >>"$dir/$db.one_tx"
        one_tx_rate "$db" "$ins7" >>"$dir/$db.one_tx7"
        small_tx_rate "$db" >>"$dir/$db.small_tx"
        one_tx_rate "$db" "$plain" >>"$dir/$db.plain"
        psql -d "$db" -c "truncate bench_plain" -c "truncate pgq.event_1_0" -c "checkpoint"
    done
    i=$((i + 1))
done
for db in orig ours; do
    echo "RESULT ${db}_insert_event_one_tx=$(median <"$dir/$db.one_tx") events/s"
    echo "RESULT ${db}_insert_event7_one_tx=$(median <"$dir/$db.one_tx7") events/s"
    echo "RESULT ${db}_insert_event_small_tx=$(median <"$dir/$db.small_tx") tx/s"
    echo "RESULT ${db}_plain_insert_one_tx=$(median <"$dir/$db.plain") rows/s"
done
echo "RESULT ratio_insert_event_one_tx=$(ratio one_tx) x"
echo "RESULT ratio_insert_event7_one_tx=$(ratio one_tx7) x"
echo "RESULT ratio_insert_event_small_tx=$(ratio small_tx) x"
