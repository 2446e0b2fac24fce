# Shared by the bench/pgq_*.sh scripts (sourced): a throw-away cluster with two databases,
# `orig` with the original PgQ (`create extension pgq`) and `ours` with sql/pgq, each holding
# a queue named `bench`; helpers to take medians and ratios.
#   env: PGBIN (PostgreSQL bin dir), BENCH_PORT, RUNS

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${BENCH_PORT:-55439}
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
