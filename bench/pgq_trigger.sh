#!/bin/sh
# Speed of the pgq row triggers: our PL/pgSQL logutriga / sqltriga / jsontriga against the
# original C triggers, on a throw-away cluster started here. One database holds the original PgQ
# (`create extension pgq`) with our trigger functions installed over it and the C ones declared
# again as orig.*triga, so both write through the same pgq.insert_event and only the triggers
# differ. For each trigger, a pgbench client runs one-row UPDATE and INSERT transactions on a
# table without trigger, with the C trigger and with ours, interleaved, RUNS times. As TPS on a
# shared machine swings with other load, the same statements (CPU_TX of them, one transaction
# each) are also sent through one psql session and the server process's own CPU time is read
# from /proc before and after: CPU microseconds per transaction.
# Prints `RESULT name=value unit` lines: medians of each and ours/original ratios.
#
#   bench/pgq_trigger.sh  env: PGBIN (PostgreSQL bin dir), BENCH_PORT, SECS, RUNS, ROWS, CPU_TX, TRIGGERS
set -eu

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${BENCH_PORT:-55442}
SECS=${SECS:-5}
RUNS=${RUNS:-5}
ROWS=${ROWS:-100000}
CPU_TX=${CPU_TX:-20000}
TRIGGERS=${TRIGGERS:-logutriga sqltriga jsontriga}
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/pgq_trigger_bench.XXXXXX)

# PostgreSQL refuses to run as root: run the server tools as postgres then
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$dir"

cleanup() { as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT INT TERM

# synchronous_commit=off: otherwise the WAL flush of every commit hides the triggers' cost
as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-p $PORT -k $dir -c listen_addresses='' -c synchronous_commit=off -c autovacuum=off" start >/dev/null

psql() { "$PGBIN/psql" -X -q -h "$dir" -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -d bench "$@"; }

"$PGBIN/psql" -X -q -h "$dir" -p "$PORT" -U postgres -d postgres -c "create database bench"
psql -c "create extension pgq" -c "select pgq.create_queue('bench')" >/dev/null
grep '^triggers/' "$top/sql/pgq/order.txt" | while read -r f; do cat "$top/sql/pgq/$f"; done | psql >/dev/null
psql <<SQL >/dev/null
create schema orig;
create function orig.logutriga() returns trigger as '\$libdir/pgq_triggers', 'pgq_logutriga' language c;
create function orig.sqltriga() returns trigger as '\$libdir/pgq_triggers', 'pgq_sqltriga' language c;
create function orig.jsontriga() returns trigger as '\$libdir/pgq_triggers', 'pgq_jsontriga' language c;
create table t_none (id int primary key, val int not null, txt text, ts timestamptz);
insert into t_none select i, 0, 'row number ' || i, now() from generate_series(1, $ROWS) i;
create table t_c (like t_none including all);
insert into t_c select * from t_none;
create table t_pl (like t_none including all);
insert into t_pl select * from t_none;
create table i_none (id serial primary key, val int not null, txt text, ts timestamptz);
create table i_c (like i_none including all);
create table i_pl (like i_none including all);
vacuum analyze;
SQL

for t in none c pl; do
    printf '\\set id random(1, %s)\nupdate t_%s set val = val + 1 where id = :id;\n' "$ROWS" "$t" > "$dir/update_$t.sql"
    printf "\\\\set v random(1, 1000000)\ninsert into i_%s (val, txt, ts) values (:v, 'some text ' || :v, now());\n" "$t" > "$dir/insert_$t.sql"
done

# the same statements as a plain SQL file, for cpu_us
for t in none c pl; do
    awk -v n="$CPU_TX" -v rows="$ROWS" -v t="$t" 'BEGIN { srand(1); for (i = 0; i < n; i++)
        printf "update t_%s set val = val + 1 where id = %d;\n", t, int(rand() * rows) + 1 }' > "$dir/update_$t.cpu"
    awk -v n="$CPU_TX" -v t="$t" 'BEGIN { srand(2); for (i = 0; i < n; i++) { v = int(rand() * 1000000);
        printf "insert into i_%s (val, txt, ts) values (%d, %csome text %d%c, now());\n", t, v, 39, v, 39 } }' > "$dir/insert_$t.cpu"
done
psql <<'SQL' >/dev/null
create function public.backend_cpu_ticks() returns bigint language sql as $$
    select f[12]::bigint + f[13]::bigint
      from (select string_to_array(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' ') as f) s $$;
SQL
ticks=$(getconf CLK_TCK)

# server CPU microseconds per transaction of the file's statements, each in its own transaction
cpu_us() {
    { echo "select 'start', backend_cpu_ticks();"; cat "$dir/$1.cpu"; echo "select 'end', backend_cpu_ticks();"; } |
        psql -At | awk -F'|' -v n="$CPU_TX" -v hz="$ticks" \
            '$1 == "start" { s = $2 } $1 == "end" { printf "%.1f\n", ($2 - s) * 1000000 / hz / n }'
}

tps() {
    "$PGBIN/pgbench" -n -h "$dir" -p "$PORT" -U postgres -c 1 -T "$SECS" -f "$dir/$1.sql" bench 2>/dev/null |
        sed -n 's/^tps = \([0-9.]*\).*/\1/p' | cut -d. -f1
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for trig in $TRIGGERS; do
    psql -c "set client_min_messages = warning; drop trigger if exists trg on t_c; drop trigger if exists trg on t_pl;
             drop trigger if exists trg on i_c; drop trigger if exists trg on i_pl;
             create trigger trg after insert or update or delete on t_c for each row execute procedure orig.$trig('bench');
             create trigger trg after insert or update or delete on t_pl for each row execute procedure pgq.$trig('bench');
             create trigger trg after insert or update or delete on i_c for each row execute procedure orig.$trig('bench');
             create trigger trg after insert or update or delete on i_pl for each row execute procedure pgq.$trig('bench');" >/dev/null
    for work in update insert; do
        for t in none c pl; do : > "$dir/$t"; : > "$dir/$t.cpu_us"; done
        for _ in $(seq "$RUNS"); do
            for t in none c pl; do
                tps "${work}_$t" >> "$dir/$t"
                cpu_us "${work}_$t" >> "$dir/$t.cpu_us"
            done
        done
        none=$(median < "$dir/none"); c=$(median < "$dir/c"); pl=$(median < "$dir/pl")
        echo "RESULT ${trig}_${work}_no_trigger=$none tps"
        echo "RESULT ${trig}_${work}_original=$c tps"
        echo "RESULT ${trig}_${work}_ours=$pl tps"
        echo "RESULT ${trig}_${work}_ours_vs_original=$(echo "$pl $c" | awk '{ printf "%.3f", $1 / $2 }') ratio"
        none=$(median < "$dir/none.cpu_us"); c=$(median < "$dir/c.cpu_us"); pl=$(median < "$dir/pl.cpu_us")
        echo "RESULT ${trig}_${work}_no_trigger_cpu=$none us/tx"
        echo "RESULT ${trig}_${work}_original_cpu=$c us/tx"
        echo "RESULT ${trig}_${work}_ours_cpu=$pl us/tx"
        # the speed ratio the CPU cost implies: original's CPU per transaction / ours
        echo "RESULT ${trig}_${work}_ours_vs_original_by_cpu=$(echo "$c $pl" | awk '{ printf "%.3f", $1 / $2 }') ratio"
    done
done
