#!/usr/bin/env bash
# The PostgreSQL cluster shared by one test run.
#   tests/cluster.sh start   -> prints "export SKYTOOLS_TEST_PGHOST=... SKYTOOLS_TEST_PGPORT=..."
#   tests/cluster.sh stop DIR
# Runs the server as the postgres OS user when called as root. Tests fall back to a cluster of
# their own when these variables are not set.
set -euo pipefail
bindir=${PG_BINDIR:-$(pg_config --bindir)}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-}" in
start)
  dir=$(mktemp -d /tmp/skytools-shared-XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_pg "$bindir/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >/dev/null
  cat >>"$dir/data/postgresql.auto.conf" <<CONF
fsync = off
full_page_writes = off
synchronous_commit = off
max_connections = 300
log_min_messages = warning
CONF
  as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-p $port -k $dir -c listen_addresses=''" >/dev/null
  echo "export SKYTOOLS_TEST_PGHOST=$dir SKYTOOLS_TEST_PGPORT=$port"
  ;;
stop)
  dir=${2:?usage: cluster.sh stop DIR}
  as_pg "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start | stop DIR" >&2
  exit 2
  ;;
esac
