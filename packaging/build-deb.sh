#!/usr/bin/env bash
# Builds a Debian package of skytools: the static-where-possible release binary, the tool
# symlinks, man pages and the SQL modules. Extension files (pgq.control ...) are left out: they
# would clash with postgresql-NN-pgq3; `make install-ext` puts them in place where wanted.
#   packaging/build-deb.sh [OUTDIR]      (default: target/deb)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/target/deb}
cd "$top"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
arch=$(dpkg --print-architecture)
RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" cargo build --release --target x86_64-unknown-linux-gnu
bin=target/x86_64-unknown-linux-gnu/release/skytools
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
install -d "$stage/DEBIAN" "$stage/usr/bin" "$stage/usr/share/man/man1" "$stage/usr/share/skytools/sql" \
  "$stage/usr/share/doc/skytools"
install -m 755 "$bin" "$stage/usr/bin/skytools"
"$bin" install-links "$stage/usr/bin" --target skytools
"$bin" generate man "$stage/usr/share/man/man1" >/dev/null
gzip -9n "$stage"/usr/share/man/man1/*.1
for m in pgq pgq_coop pgq_ext; do sql/assemble.sh "$m" >"$stage/usr/share/skytools/sql/$m.sql"; done
install -m 644 README.md "$stage/usr/share/doc/skytools/README.md"
cat >"$stage/DEBIAN/control" <<CONTROL
Package: skytools
Version: $version
Architecture: $arch
Maintainer: skytools developers <skytools@localhost>
Section: database
Priority: optional
Conflicts: pgqd, skytools3
Replaces: pgqd, skytools3
Provides: pgqd
Description: PgQ queues, the pgqd ticker, Londiste replication, walmgr and qadmin
 One binary (busybox-style, with symlinks pgqd, londiste, walmgr, qadmin, ...) that keeps
 the command lines, config files and SQL API of Skytools 3, with PgQ in plain PL/pgSQL.
CONTROL
mkdir -p "$out"
dpkg-deb --root-owner-group --build "$stage" "$out/skytools_${version}_${arch}.deb" >/dev/null
echo "$out/skytools_${version}_${arch}.deb"
