#!/bin/sh
# Speed of the pgq row triggers side by side: the original (the C triggers of `create extension
# pgq`) in database orig against ours (sql/pgq) in database ours, each writing through its own
# pgq.insert_event, as a user swapping one for the other sees them. For each trigger and for
# one-row INSERT and UPDATE transactions (and the same tables without a trigger):
#   <trigger>_<work>_{original,ours}        pgbench TPS, one client, SECS s, median of RUNS runs
#                                           taken in turn; _ours_vs_original their ratio
#   <trigger>_<work>_{...}_cpu              server backend CPU microseconds per transaction
#                                           (CPU_TX one-transaction statements through one psql
#                                           session, /proc/self/schedstat nanoseconds)
#   <trigger>_<work>_{...}_kinstr           thousands of instructions the server executes per
#                                           transaction: valgrind's callgrind on a single-user
#                                           backend over a copy of the cluster. Exact and
#                                           untouched by other load; only when valgrind is here.
# The same for the tables without trigger: no_trigger_<work>_*.
#
#   bench/pgq_trigger.sh            env: SECS, ROWS, CPU_TX, TRIGGERS, and those of bench/pgq_lib.sh
set -eu

SECS=${SECS:-5}
ROWS=${ROWS:-100000}
CPU_TX=${CPU_TX:-5000}
TRIGGERS=${TRIGGERS:-logutriga sqltriga jsontriga}
. "$(dirname "$0")/pgq_lib.sh"

for db in orig ours; do
    psql -d "$db" -c "create table i_none (id serial primary key, val int not null, txt text, ts timestamptz)" \
        -c "create table t_none (id int primary key, val int not null, txt text, ts timestamptz)" \
        -c "insert into t_none select i, 0, 'row number ' || i, now() from generate_series(1, $ROWS) i"
    for trig in $TRIGGERS; do
        psql -d "$db" -c "create table i_$trig (like i_none including all)" \
            -c "create table t_$trig (like t_none including all)" \
            -c "insert into t_$trig select * from t_none" \
            -c "create trigger trg after insert or update or delete on i_$trig for each row execute procedure pgq.$trig('bench')" \
            -c "create trigger trg after insert or update or delete on t_$trig for each row execute procedure pgq.$trig('bench')"
    done
    psql -d "$db" -c "vacuum analyze" \
        -c "create function public.backend_cpu_ns() returns bigint language sql as
            \$\$ select split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint \$\$"
done

# statements of one transaction each: pgbench scripts and plain SQL files (fixed random rows)
for table in none $TRIGGERS; do
    printf '\\set v random(1, 1000000)\ninsert into i_%s (val, txt, ts) values (:v, '"'"'some text '"'"' || :v, now());\n' \
        "$table" > "$dir/insert_$table.pgbench"
    printf '\\set id random(1, %s)\nupdate t_%s set val = val + 1 where id = :id;\n' "$ROWS" "$table" > "$dir/update_$table.pgbench"
    awk -v n="$CPU_TX" -v t="$table" 'BEGIN { srand(2); for (i = 0; i < n; i++) { v = int(rand() * 1000000);
        printf "insert into i_%s (val, txt, ts) values (%d, %csome text %d%c, now());\n", t, v, 39, v, 39 } }' \
        > "$dir/insert_$table.sql"
    awk -v n="$CPU_TX" -v rows="$ROWS" -v t="$table" 'BEGIN { srand(1); for (i = 0; i < n; i++)
        printf "update t_%s set val = val + 1 where id = %d;\n", t, int(rand() * rows) + 1 }' > "$dir/update_$table.sql"
done
chmod a+r "$dir"/*.sql

tps() {
    "$PGBIN/pgbench" -n -h "$dir" -p "$PORT" -U postgres -c 1 -T "$SECS" -f "$dir/$2.pgbench" "$1" 2>/dev/null |
        sed -n 's/^tps = \([0-9.]*\).*/\1/p' | cut -d. -f1
}

# server CPU microseconds per transaction of the file's statements
cpu_us() {
    { echo "select 'start', backend_cpu_ns();"; cat "$dir/$2.sql"; echo "select 'end', backend_cpu_ns();"; } |
        psql -d "$1" -At | awk -F'|' -v n="$CPU_TX" '$1 == "start" { s = $2 } $1 == "end" { printf "%.1f\n", ($2 - s) / n / 1000 }'
}

result() { echo "RESULT $1=$2 $3"; }
ratio_of() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

for work in insert update; do
    for table in none $TRIGGERS; do
        for db in orig ours; do : > "$dir/$db.$work.$table.tps"; : > "$dir/$db.$work.$table.cpu"; done
    done
    for _ in $(seq "$RUNS"); do
        for table in none $TRIGGERS; do
            for db in orig ours; do
                tps "$db" "${work}_$table" >> "$dir/$db.$work.$table.tps"
                cpu_us "$db" "${work}_$table" >> "$dir/$db.$work.$table.cpu"
            done
        done
    done
done

kinstr_prepare
for work in insert update; do
    for table in none $TRIGGERS; do
        for db in orig ours; do kinstr "$db" "$dir/${work}_$table.sql" > "$dir/$db.$work.$table.kinstr"; done
    done
done

for work in insert update; do
    for table in none $TRIGGERS; do
        name=$([ "$table" = none ] && echo "no_trigger_$work" || echo "${table}_$work")
        for measure in tps cpu kinstr; do
            [ -s "$dir/orig.$work.$table.$measure" ] || continue
            suffix=$([ "$measure" = tps ] && echo "" || echo "_$measure")
            unit=$(case $measure in tps) echo tps ;; cpu) echo us/tx ;; kinstr) echo kinstr/tx ;; esac)
            o=$(median < "$dir/orig.$work.$table.$measure")
            p=$(median < "$dir/ours.$work.$table.$measure")
            result "${name}_original$suffix" "$o" "$unit"
            result "${name}_ours$suffix" "$p" "$unit"
            # speed ratio: for tps ours/original, for costs original/ours
            if [ "$measure" = tps ]; then r=$(ratio_of "$p" "$o"); else r=$(ratio_of "$o" "$p"); fi
            result "${name}_ours_vs_original$suffix" "$r" ratio
        done
    done
done
