#!/usr/bin/env bash
# Installs what building and testing skytools needs on a Debian machine, if missing:
# the PostgreSQL server, psql, and the original Skytools packages used by the side-by-side
# compatibility tests and benchmarks, rsync and OpenSSH for walmgr. Safe to run again; does nothing when all is there.
set -euo pipefail
need=()
command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ] || need+=(postgresql-15 postgresql-client-15 postgresql-server-dev-15)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client-15)
[ -f /usr/share/postgresql/15/extension/pgq.control ] || need+=(postgresql-15-pgq3)
[ -f /usr/share/postgresql/15/extension/pgq_node.control ] || need+=(postgresql-15-pgq-node)
[ -f /usr/share/postgresql/15/extension/londiste.control ] || need+=(postgresql-15-londiste-sql)
command -v pgqd >/dev/null 2>&1 || need+=(pgqd)
[ -d /usr/lib/python3/dist-packages/pgq ] || need+=(python3-pgq)
[ -d /usr/lib/python3/dist-packages/londiste ] || need+=(python3-londiste)
command -v rsync >/dev/null 2>&1 || need+=(rsync)
# walmgr's transfers to a slave host: ssh and rsync, and an sshd of its own in the tests.
command -v ssh >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing packages: ${need[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! command -v cargo-nextest >/dev/null 2>&1 && ! cargo nextest --version >/dev/null 2>&1; then
  cargo install --locked cargo-nextest
fi
