# skytools: build, test, install, demo, bench. `make test` and `make demo` do all their own
# set-up on a fresh Debian machine (packaging/install-deps.sh).

PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
SQLDIR    ?= $(PREFIX)/share/skytools/sql
PG_CONFIG ?= pg_config
CARGO     ?= cargo
NEXTEST_PROFILE ?= default

.PHONY: all build release deps test lint install install-ext bench man deb clean

all: build

deps:
	packaging/install-deps.sh

build:
	$(CARGO) build

release:
	$(CARGO) build --release

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

# The whole suite against real PostgreSQL: one shared throw-away cluster for the run, a fresh
# database per test, private clusters where a test needs its own (walmgr, restarts).
test: deps
	$(CARGO) build --all-targets
	@set -e; eval "$$(tests/cluster.sh start)"; \
	trap 'tests/cluster.sh stop "$$SKYTOOLS_TEST_PGHOST"' EXIT; \
	$(CARGO) nextest run --no-fail-fast --profile $(NEXTEST_PROFILE)

install: release
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SQLDIR)
	install -m 755 target/release/skytools $(DESTDIR)$(BINDIR)/skytools
	target/release/skytools install-links $(DESTDIR)$(BINDIR) --target skytools
	for m in pgq pgq_coop pgq_ext; do sql/assemble.sh $$m > $(DESTDIR)$(SQLDIR)/$$m.sql; done
	install -d $(DESTDIR)$(MANDIR)/man1
	target/release/skytools generate man $(DESTDIR)$(MANDIR)/man1 >/dev/null
	$(MAKE) install-ext

# Extension files, so `CREATE EXTENSION pgq` installs our PL/pgSQL and `ALTER EXTENSION pgq
# UPDATE` moves an original PgQ extension onto it. Replaces the original's pgq.control.
install-ext:
	packaging/install-extensions.sh "$(DESTDIR)$$($(PG_CONFIG) --sharedir)/extension"

# A Debian package (binary, symlinks, man pages, SQL) in target/deb.
deb:
	packaging/build-deb.sh

# Man pages are build outputs of the clap definitions.
man: build
	target/debug/skytools generate man man/

# A queue, two producers, a tick and two consumers on a throw-away cluster (bench/demo.sh).
demo: deps build
	bench/demo.sh

bench: deps release
	@for b in bench/*.sh; do \
	  case $$b in bench/demo.sh) continue ;; esac; [ -x $$b ] || continue; \
	  echo "== $$b"; $$b || exit 1; \
	done

clean:
	$(CARGO) clean
