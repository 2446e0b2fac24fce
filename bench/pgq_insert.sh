#!/bin/sh
# Side-by-side speed of pgq.insert_event: the original PgQ (C extension, `create extension pgq`)
# against our PL/pgSQL schema, on a throw-away cluster started here.
# Prints `RESULT name=value unit` lines (median of RUNS runs) and ours/original ratios:
#   insert_event_one_tx    EVENTS 3-argument insert_event calls in one transaction
#   insert_event7_one_tx   the same with the 7-argument form (what triggers call)
#   insert_event_small_tx  TXNS autocommit transactions of one insert_event each
#   plain_insert_one_tx    a plain INSERT of the same payload into a table like an event table
#   insert_event_small_tx_wake  ours only: insert_event_small_tx with the queue set to
#                          ticker_on_commit (each transaction also sends a NOTIFY; nobody listens)
# Each as events per second of elapsed time, and (`_cpu`) per second of the server backend's
# CPU time, the figure to compare on a machine busy with other work; for insert_event_small_tx
# also server instructions per transaction (`_kinstr`, thousands, when valgrind is installed).
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

# Rates of EVENTS executions of STMT inside one transaction, measured inside the server, as
# "WALL CPU": per second of elapsed time, and per second of the backend's own CPU time (from
# /proc/self/stat, in clock ticks), which other load on the machine disturbs much less.
one_tx_rates() {
    psql -d "$1" -At -c "$cpu_ticks_fn" -c "
do \$\$
declare
    t0 timestamptz := clock_timestamp();
    c0 bigint := pg_temp.cpu_ticks();
begin
    for i in 1 .. $EVENTS loop
        $2;
    end loop;
    raise notice 'rates=% %', round($EVENTS / extract(epoch from clock_timestamp() - t0)),
        round($EVENTS * $HZ / greatest(pg_temp.cpu_ticks() - c0, 1));
end \$\$;" 2>&1 | sed -n 's/.*rates=//p'
}

# Rates "WALL CPU" of TXNS autocommit transactions of one insert_event each, sent one at a
# time by one client (psql), measured like one_tx_rates.
small_tx_rates() {
    {
        echo "$cpu_ticks_fn;"
        echo "select pg_temp.cpu_ticks(), extract(epoch from clock_timestamp());"
        i=0
        while [ $i -lt "$TXNS" ]; do
            echo "select pgq.insert_event('bench', 'bench', '$payload');"
            i=$((i + 1))
        done
        echo "select pg_temp.cpu_ticks(), extract(epoch from clock_timestamp());"
    } >"$dir/tx.sql"
    grep insert_event "$dir/tx.sql" > "$dir/tx_only.sql"
    psql -d "$1" -At -f "$dir/tx.sql" | grep '|' | tr '|' ' ' | {
        read -r c0 t0
        read -r c1 t1
        awk -v n="$TXNS" -v hz="$HZ" -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" \
            'BEGIN { printf "%d %d\n", n / (t1 - t0), n * hz / (c1 > c0 ? c1 - c0 : 1) }'
    }
}

# Runs alternate between the two databases so that load from elsewhere on the machine hits
# both alike; each figure is the median of RUNS runs.
ins="perform pgq.insert_event('bench', 'bench', '$payload')"
ins7="perform pgq.insert_event('bench', 'bench', '$payload', 'public.some_table', null, null, null)"
plain="insert into bench_plain (ev_id, ev_time, ev_type, ev_data) values (i, now(), 'bench', '$payload')"
i=0
while [ $i -lt "$RUNS" ]; do
    for db in orig ours; do
        one_tx_rates "$db" "$ins" >"$dir/r"
        cut -d' ' -f1 "$dir/r" >>"$dir/$db.one_tx"
        cut -d' ' -f2 "$dir/r" >>"$dir/$db.one_tx_cpu"
        one_tx_rates "$db" "$ins7" >"$dir/r"
        cut -d' ' -f1 "$dir/r" >>"$dir/$db.one_tx7"
        cut -d' ' -f2 "$dir/r" >>"$dir/$db.one_tx7_cpu"
        small_tx_rates "$db" >"$dir/r"
        cut -d' ' -f1 "$dir/r" >>"$dir/$db.small_tx"
        cut -d' ' -f2 "$dir/r" >>"$dir/$db.small_tx_cpu"
        one_tx_rates "$db" "$plain" >"$dir/r"
        cut -d' ' -f1 "$dir/r" >>"$dir/$db.plain"
        cut -d' ' -f2 "$dir/r" >>"$dir/$db.plain_cpu"
        psql -d "$db" -c "truncate bench_plain" -c "truncate pgq.event_1_0" -c "checkpoint"
    done
    psql -d ours -c "select pgq.set_queue_config('bench', 'ticker_on_commit', 'on')" >/dev/null
    small_tx_rates ours >"$dir/r"
    cut -d' ' -f1 "$dir/r" >>"$dir/wake.small_tx"
    cut -d' ' -f2 "$dir/r" >>"$dir/wake.small_tx_cpu"
    psql -d ours -c "select pgq.set_queue_config('bench', 'ticker_on_commit', 'off')" \
        -c "truncate pgq.event_1_0" -c "checkpoint" >/dev/null
    i=$((i + 1))
done
for db in orig ours; do
    echo "RESULT ${db}_insert_event_one_tx=$(median <"$dir/$db.one_tx") events/s"
    echo "RESULT ${db}_insert_event_one_tx_cpu=$(median <"$dir/$db.one_tx_cpu") events/cpu-s"
    echo "RESULT ${db}_insert_event7_one_tx=$(median <"$dir/$db.one_tx7") events/s"
    echo "RESULT ${db}_insert_event7_one_tx_cpu=$(median <"$dir/$db.one_tx7_cpu") events/cpu-s"
    echo "RESULT ${db}_insert_event_small_tx=$(median <"$dir/$db.small_tx") tx/s"
    echo "RESULT ${db}_insert_event_small_tx_cpu=$(median <"$dir/$db.small_tx_cpu") tx/cpu-s"
    echo "RESULT ${db}_plain_insert_one_tx=$(median <"$dir/$db.plain") rows/s"
    echo "RESULT ${db}_plain_insert_one_tx_cpu=$(median <"$dir/$db.plain_cpu") rows/cpu-s"
done
echo "RESULT ours_insert_event_small_tx_wake=$(median <"$dir/wake.small_tx") tx/s"
echo "RESULT ours_insert_event_small_tx_wake_cpu=$(median <"$dir/wake.small_tx_cpu") tx/cpu-s"
for r in one_tx one_tx_cpu one_tx7 one_tx7_cpu small_tx small_tx_cpu plain_cpu; do
    echo "RESULT ratio_$r=$(ratio $r) x"
done
kinstr_prepare
chmod a+r "$dir/tx_only.sql"
for db in orig ours; do kinstr "$db" "$dir/tx_only.sql" > "$dir/$db.kinstr"; done
if [ -s "$dir/ours.kinstr" ]; then
    echo "RESULT orig_insert_event_small_tx_kinstr=$(cat "$dir/orig.kinstr") kinstr/tx"
    echo "RESULT ours_insert_event_small_tx_kinstr=$(cat "$dir/ours.kinstr") kinstr/tx"
    # speed ratio: the original's cost over ours
    echo "RESULT ratio_small_tx_kinstr=$(awk -v o="$(cat "$dir/orig.kinstr")" -v p="$(cat "$dir/ours.kinstr")" 'BEGIN { printf "%.2f", o / p }') x"
fi
