# Sourced by the bench scripts: one throw-away PostgreSQL cluster for the run.
#   bench_start_cluster NAME [SETTING=VALUE ...]
# creates $dir (data/, log, the unix socket), starts the server on $PORT with the settings, and
# stops and removes it all at exit (after the script's own bench_on_exit, when it defines one).
# Also defines as_pg (PostgreSQL refuses to run as root: server tools run as postgres then) and
# pg_psql (psql on the cluster, stopping at the first error).

PGBIN=${PGBIN:-$(pg_config --bindir)}

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

bench_cleanup() {
    if command -v bench_on_exit >/dev/null 2>&1; then bench_on_exit; fi
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}

bench_start_cluster() {
    dir=$(mktemp -d "/tmp/$1.XXXXXX")
    shift
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    trap bench_cleanup EXIT INT TERM
    as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
    opts="-p $PORT -k $dir -c listen_addresses=''"
    for setting in "$@"; do opts="$opts -c $setting"; done
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "$opts" start >/dev/null
}

pg_psql() { "$PGBIN/psql" -X -q -h "$dir" -p "$PORT" -U postgres -v ON_ERROR_STOP=1 "$@"; }
