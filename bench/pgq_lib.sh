# Shared by the bench/pgq_*.sh scripts (sourced): a throw-away cluster with two databases,
# `orig` with the original PgQ (`create extension pgq`) and `ours` with sql/pgq, each holding
# a queue named `bench`; helpers to take medians and ratios.
#   env: PGBIN (PostgreSQL bin dir), BENCH_PORT, RUNS

PORT=${BENCH_PORT:-55439}
RUNS=${RUNS:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
payload='{"id": 12345, "name": "some text value", "amount": 42.50, "flag": true}'

. "$top/bench/cluster.sh"
bench_start_cluster pgq_bench synchronous_commit=off autovacuum=off
psql() { pg_psql "$@"; }

psql -d postgres -c "create database orig" -c "create database ours"
psql -d orig -c "create extension pgq"
"$top/sql/assemble.sh" pgq | psql -d ours
for db in orig ours; do
    psql -d "$db" -c "select pgq.create_queue('bench')" >/dev/null
done

# utime + stime of the current backend, in clock ticks (superuser: pg_read_file); create it
# in a session with psql -c "$cpu_ticks_fn"
HZ=$(getconf CLK_TCK)
cpu_ticks_fn="create function pg_temp.cpu_ticks() returns bigint language sql as \$\$
    select split_part(s, ' ', 14)::bigint + split_part(s, ' ', 15)::bigint
      from pg_read_file('/proc/self/stat') s \$\$"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# ours/original of the medians in $dir/ours.NAME and $dir/orig.NAME
ratio() { awk -v a="$(median <"$dir/ours.$1")" -v b="$(median <"$dir/orig.$1")" 'BEGIN { printf "%.2f", a / b }'; }

# Server instructions per transaction, exact on a machine busy with other work: valgrind's
# callgrind on a single-user backend over a copy of the cluster. kinstr_prepare stops the
# server (measure everything else first) and copies it; kinstr DB FILE prints thousands of
# instructions per statement of FILE (one transaction each): its first 220 statements less
# its first 20, over 200. Both do nothing without valgrind (kinstr prints nothing).
kinstr_prepare() {
    command -v valgrind >/dev/null 2>&1 || return 0
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast stop >/dev/null
    cp -a "$dir/data" "$dir/copy"
}
kinstr() {
    command -v valgrind >/dev/null 2>&1 || return 0
    for n in 20 220; do
        head -n "$n" "$2" > "$dir/cg_in.sql"
        as_pg valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" \
            "$PGBIN/postgres" --single -D "$dir/copy" -c synchronous_commit=off "$1" < "$dir/cg_in.sql" >/dev/null 2>&1
        callgrind_annotate "$dir/cg.out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
        rm -f "$dir/cg.out"
    done | awk '{ v[NR] = $1 } END { if (NR == 2) printf "%.1f\n", (v[2] - v[1]) / 200 / 1000 }'
}
