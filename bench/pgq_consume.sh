#!/bin/sh
# Side-by-side speed of the consumer functions: the original PgQ (C extension) against our
# PL/pgSQL schema, on a throw-away cluster started here. Prints `RESULT name=value unit` lines
# (median of RUNS runs) and ours/original ratios:
#   read:  events per second through next_batch + get_batch_events + finish_batch, one batch of
#          EVENTS events (the consumer is rewound with register_consumer_at between runs);
#   cycle: empty batches per second (next_batch, get_batch_events, finish_batch, one transaction
#          each) over BATCHES ticks.
#
#   bench/pgq_consume.sh           env: EVENTS, BATCHES, and those of bench/pgq_lib.sh
set -eu

EVENTS=${EVENTS:-200000}
BATCHES=${BATCHES:-2000}
. "$(dirname "$0")/pgq_lib.sh"

for db in orig ours; do
    psql -d "$db" -c "select pgq.register_consumer('bench', 'reader')" \
        -c "select pgq.register_consumer('bench', 'cycler')" \
        -c "select pgq.insert_event('bench', 'bench', '$payload') from generate_series(1, $EVENTS)" \
        -c "select pgq.force_tick('bench')" -c "select pgq.ticker('bench')" >/dev/null
    # empty batches for the cycle test: ticks made directly, all with the same snapshot
    psql -d "$db" -c "insert into pgq.tick (tick_queue, tick_id, tick_event_seq)
                      select 1, 100 + g, 1 from generate_series(1, $BATCHES) g" >/dev/null
done

# events per second of reading the one big batch (ticks 1 -> 2)
read_rate() {
    psql -d "$1" -At -c "
do \$\$
declare t0 timestamptz; b bigint; n bigint;
begin
    perform pgq.register_consumer_at('bench', 'reader', 1);
    t0 := clock_timestamp();
    b := pgq.next_batch('bench', 'reader');
    select count(*) into n from pgq.get_batch_events(b);
    perform pgq.finish_batch(b);
    raise notice 'rate=%', round(n / extract(epoch from clock_timestamp() - t0));
end \$\$;" 2>&1 | sed -n 's/.*rate=//p'
}

# empty batches per second, walking the consumer over the direct ticks (100 + 1 .. BATCHES),
# each batch in its own transaction as real consumers do: "WALL CPU", the second per second of
# the backend's own CPU time (from /proc/self/stat), which other load disturbs much less
cycle_rate() {
    {
        echo "select pgq.register_consumer_at('bench', 'cycler', 101);"
        echo "$cpu_ticks_fn;"
        echo "select pg_temp.cpu_ticks(), extract(epoch from clock_timestamp());"
        i=2
        while [ $i -le "$BATCHES" ]; do
            echo "select pgq.finish_batch(b) from (select pgq.next_batch('bench', 'cycler') b) x,
                  lateral (select count(*) from pgq.get_batch_events(x.b)) e;"
            i=$((i + 1))
        done
        echo "select pg_temp.cpu_ticks(), extract(epoch from clock_timestamp());"
    } >"$dir/cycle.sql"
    psql -d "$1" -At -f "$dir/cycle.sql" | grep '|' | tr '|' ' ' | {
        read -r c0 t0
        read -r c1 t1
        awk -v n="$((BATCHES - 1))" -v hz="$HZ" -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" \
            'BEGIN { printf "%d %d\n", n / (t1 - t0), n * hz / (c1 > c0 ? c1 - c0 : 1) }'
    }
}

i=0
while [ $i -lt "$RUNS" ]; do
    for db in orig ours; do
        # autovacuum is off on the bench cluster: keep earlier runs' dead rows out of the way
        psql -d "$db" -c "vacuum pgq.subscription" -c "vacuum pgq.tick"
        read_rate "$db" >>"$dir/$db.read"
        cycle_rate "$db" >"$dir/r"
        cut -d' ' -f1 "$dir/r" >>"$dir/$db.cycle"
        cut -d' ' -f2 "$dir/r" >>"$dir/$db.cycle_cpu"
    done
    i=$((i + 1))
done
for db in orig ours; do
    echo "RESULT ${db}_batch_read=$(median <"$dir/$db.read") events/s"
    echo "RESULT ${db}_batch_cycle=$(median <"$dir/$db.cycle") batches/s"
    echo "RESULT ${db}_batch_cycle_cpu=$(median <"$dir/$db.cycle_cpu") batches/cpu-s"
done
echo "RESULT ratio_batch_read=$(ratio read) x"
echo "RESULT ratio_batch_cycle=$(ratio cycle) x"
echo "RESULT ratio_batch_cycle_cpu=$(ratio cycle_cpu) x"
