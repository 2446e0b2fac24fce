#!/usr/bin/env bash
# make demo: a throw-away PostgreSQL cluster, `skytools install pgq`, then examples/demo.rs
# (a queue, two producers, a tick, two consumers) and `skytools status`. Everything is removed
# at the end. Runs the server as the postgres OS user when started as root.
set -euo pipefail
cd "$(dirname "$0")/.."
bindir=${PG_BINDIR:-$(pg_config --bindir)}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

dir=$(mktemp -d /tmp/skytools-demo-XXXXXX)
chmod 755 "$dir"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
  as_pg "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

echo "== starting a throw-away cluster in $dir"
as_pg "$bindir/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >/dev/null
as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
  -o "-p $port -k $dir -c listen_addresses=''" >/dev/null
connstr="host=$dir port=$port user=postgres dbname=demo"
"$bindir/psql" -X -q -h "$dir" -p "$port" -U postgres -d postgres -c "create database demo"

cargo build -q
echo "== skytools install pgq"
target/debug/skytools install pgq --db "$connstr"
echo "== examples/demo.rs"
cargo run -q --example demo -- "$connstr"
echo "== skytools status"
target/debug/skytools status --db "$connstr" || true
