//! Test support: real PostgreSQL clusters, a fresh database per test, and the real binary.
#![allow(dead_code, unused_imports)]

mod cluster;

use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

pub use cluster::{bindir, give_to_server_user, is_root, pg_command, relocated_postgres, Cluster};

static DB_SEQ: AtomicU32 = AtomicU32::new(0);

/// The cluster shared by all tests of a run: the one the Makefile started, or else one started
/// for this process (its reaper stops it when the process exits).
pub fn shared() -> &'static Cluster {
    static SHARED: OnceLock<Cluster> = OnceLock::new();
    SHARED.get_or_init(|| {
        let cluster = Cluster::shared_from_env().unwrap_or_else(Cluster::start);
        create_global_roles(&cluster);
        cluster
    })
}

/// Roles are cluster-wide, and the original PgQ's install creates them without guarding against
/// a concurrent creator; tests install into many databases at once, so the roles the modules
/// use exist before any test runs (under an advisory lock, as test processes race here too).
fn create_global_roles(cluster: &Cluster) {
    cluster
        .client("postgres")
        .batch_execute(
            "do $$ begin
               perform pg_advisory_xact_lock(727274);
               if not exists (select 1 from pg_roles where rolname = 'pgq_reader') then create role pgq_reader; end if;
               if not exists (select 1 from pg_roles where rolname = 'pgq_writer') then create role pgq_writer; end if;
               if not exists (select 1 from pg_roles where rolname = 'pgq_admin') then
                 create role pgq_admin in role pgq_reader, pgq_writer; end if;
               if not exists (select 1 from pg_roles where rolname = 'londiste_reader') then
                 create role londiste_reader in role pgq_reader; end if;
               if not exists (select 1 from pg_roles where rolname = 'londiste_writer') then
                 create role londiste_writer in role pgq_admin; end if;
             end $$",
        )
        .expect("creating the cluster-wide roles");
}

/// A fresh database, dropped at the end of the test: on the shared cluster, or on a private one
/// for tests whose assertions cluster-wide activity could disturb (snapshots, rotation).
pub struct Db {
    pub name: String,
    host: std::path::PathBuf,
    port: u16,
}

impl Db {
    pub fn new() -> Db {
        Db::in_cluster(shared())
    }

    pub fn in_cluster(cluster: &Cluster) -> Db {
        let name = format!("t_{}_{}", std::process::id(), DB_SEQ.fetch_add(1, Ordering::SeqCst));
        cluster.db(&name);
        Db { name, host: cluster.socket_dir(), port: cluster.port() }
    }

    /// The shared cluster (for databases made by `Db::new`).
    pub fn cluster(&self) -> &'static Cluster {
        shared()
    }

    pub fn connstr(&self) -> String {
        format!("host={} port={} dbname={} user=postgres", self.host.display(), self.port, self.name)
    }

    pub fn client(&self) -> postgres::Client {
        self.client_of(&self.name)
    }

    fn client_of(&self, dbname: &str) -> postgres::Client {
        postgres::Config::new()
            .host_path(&self.host)
            .port(self.port)
            .user("postgres")
            .dbname(dbname)
            .connect(postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting to {dbname}: {e:#}"))
    }

    /// Installs embedded SQL modules through the real binary.
    pub fn install(&self, modules: &[&str]) {
        let out = skytools("skytools").arg("install").args(modules).arg("--db").arg(self.connstr()).output().unwrap();
        assert_ok(&out, "skytools install");
    }

    /// Runs SQL through psql (-XAt, stop on error) and returns its output, trimmed.
    pub fn psql(&self, sql: &str) -> String {
        let out = self.psql_raw(sql);
        assert_ok(&out, "psql");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Runs SQL through psql and returns the raw output, failures included.
    pub fn psql_raw(&self, sql: &str) -> Output {
        Command::new(bindir().join("psql"))
            .args(["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(self.connstr())
            .arg("-c")
            .arg(sql)
            .output()
            .unwrap()
    }
}

impl Default for Db {
    fn default() -> Self {
        Db::new()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("(test database {} dropped)", self.name);
        }
        if let Ok(mut c) = postgres::Config::new()
            .host_path(&self.host)
            .port(self.port)
            .user("postgres")
            .dbname("postgres")
            .connect(postgres::NoTls)
        {
            let _ = c.batch_execute(&format!("drop database if exists \"{}\" with (force)", self.name));
        }
    }
}

/// The real binary, invoked under `argv0` (`skytools`, `pgqd`, `londiste3`, ...).
pub fn skytools(argv0: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_skytools"));
    std::os::unix::process::CommandExt::arg0(&mut c, argv0);
    c
}

/// Asserts a process succeeded, showing its output when it did not.
pub fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// stdout and stderr of a finished process, for assertions.
pub fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A temp dir removed on drop, readable by the server user.
pub struct TempDir {
    pub path: std::path::PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "skytools-{tag}-{}-{}",
            std::process::id(),
            DB_SEQ.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir { path }
    }

    pub fn join(&self, p: &str) -> std::path::PathBuf {
        self.path.join(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Polls `cond` every 50 ms until it holds or `secs` pass; returns whether it held.
pub fn wait_for(secs: f64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs_f64(secs);
    while std::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    cond()
}
