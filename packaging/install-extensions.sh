#!/usr/bin/env bash
# Writes PostgreSQL extension files for our SQL modules into EXTDIR (the server's
# `pg_config --sharedir`/extension), so that `CREATE EXTENSION pgq` installs our PL/pgSQL and
# `ALTER EXTENSION pgq UPDATE` moves an original PgQ 3.x extension onto it, keeping its queues.
#   packaging/install-extensions.sh EXTDIR
set -euo pipefail
extdir=${1:?usage: install-extensions.sh EXTDIR}
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$extdir"

# Files only a plain (non-extension) install runs: taking over an original extension's objects
# must not run inside our own extension's script.
plain_only() { case "$1/$2" in pgq/structure/extension.sql) return 0 ;; esac; return 1; }

# Tables whose rows pg_dump must keep (pg_extension_config_dump): those the originals registered,
# and our queue_ticker_on_commit (a queue setting).
config_tables() {
  case "$1" in
    pgq) echo pgq.queue pgq.consumer pgq.tick pgq.subscription pgq.event_template pgq.retry_queue pgq.batch_id_seq pgq.queue_ticker_on_commit ;;
    pgq_ext) echo pgq_ext.completed_tick pgq_ext.completed_batch pgq_ext.completed_event pgq_ext.partial_batch ;;
  esac
}

# Versions of the original extensions that can be updated to ours.
old_versions() {
  case "$1" in
    pgq) echo 3.2 3.2.3 3.2.6 3.3.1 3.4 3.4.1 3.4.2 3.5 ;;
  esac
}

for m in pgq pgq_coop pgq_ext; do
  dir=$top/sql/$m
  version=$(grep -rhoE "^[[:space:]]*select '[0-9][0-9.]*'::text" $(grep -rl "function $m.version()" "$dir") | grep -oE "[0-9][0-9.]*" | head -1)
  [ -n "$version" ] || { echo "install-extensions: no version found for $m" >&2; exit 1; }
  script=$extdir/$m--$version.sql
  {
    echo "-- $m $version (skytools), extension script"
    grep -v '^[[:space:]]*\(#\|$\)' "$dir/order.txt" | while read -r f; do
      plain_only "$m" "$f" && continue
      printf -- '-- file: %s/%s\n' "$m" "$f"
      cat "$dir/$f"
    done
    for t in $(config_tables "$m"); do
      echo "select pg_catalog.pg_extension_config_dump('$t', '');"
    done
  } >"$script.tmp.$$"
  # Each file appears whole (rename), as a server may be reading the directory meanwhile.
  for old in $(old_versions "$m"); do
    cp "$script.tmp.$$" "$extdir/$m--$old--$version.sql.tmp.$$"
    mv "$extdir/$m--$old--$version.sql.tmp.$$" "$extdir/$m--$old--$version.sql"
  done
  mv "$script.tmp.$$" "$script"
  requires=""
  [ "$m" = pgq_coop ] && requires="requires = 'pgq'"
  cat >"$extdir/$m.control.tmp.$$" <<CONTROL
# $m extension (skytools: PL/pgSQL, no C)
comment = '$m $version from skytools'
default_version = '$version'
relocatable = false
superuser = false
schema = 'pg_catalog'
$requires
CONTROL
  mv "$extdir/$m.control.tmp.$$" "$extdir/$m.control"
done
