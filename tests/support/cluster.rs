//! Throw-away PostgreSQL clusters: initdb (from a cached template) into a temp dir, a unix socket
//! in that dir, trust auth, run as the `postgres` OS user when we are root. A reaper process
//! stops the server and removes the dir if the test process dies without cleaning up.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

static SEQ: AtomicU32 = AtomicU32::new(0);

/// Directory of the PostgreSQL server binaries: `PG_BINDIR`, else `pg_config --bindir`.
pub fn bindir() -> PathBuf {
    if let Some(d) = std::env::var_os("PG_BINDIR") {
        return PathBuf::from(d);
    }
    let out = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .expect("pg_config not found: install postgresql or set PG_BINDIR");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// A command for a PostgreSQL binary, run as `postgres` when we are root.
pub fn pg_command(program: &str) -> Command {
    pg_command_in(&bindir(), program)
}

fn pg_command_in(bindir: &Path, program: &str) -> Command {
    let path = bindir.join(program);
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(path);
        c
    } else {
        Command::new(path)
    }
}

/// Hands a path we created to the user the server runs as.
pub fn give_to_server_user(path: &Path) {
    if is_root() {
        let st = Command::new("chown").args(["-R", "postgres:postgres"]).arg(path).status().expect("chown");
        assert!(st.success(), "chown {} failed", path.display());
    }
}

fn run(mut cmd: Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A free TCP port; the server listens only on its unix socket, but distinct ports keep socket
/// names and `ps` output telling.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// An initdb'ed data directory, made once per machine and copied for every cluster.
fn template(bindir: &Path) -> PathBuf {
    let tag = bindir.to_string_lossy().replace('/', "_");
    let dir = std::env::temp_dir().join(format!("skytools-pg-template{tag}"));
    if dir.join("PG_VERSION").exists() {
        return dir;
    }
    let tmp = std::env::temp_dir().join(format!(
        "skytools-pg-template-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&tmp).unwrap();
    give_to_server_user(&tmp);
    let mut c = pg_command("initdb");
    c.arg("-D")
        .arg(tmp.join("data"))
        .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"])
        .stdout(Stdio::null());
    run(c, "initdb");
    // A concurrent maker may have won; its copy is as good as ours.
    if std::fs::rename(tmp.join("data"), &dir).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    let _ = std::fs::remove_dir_all(&tmp);
    dir
}

/// A running throw-away cluster, stopped and removed on drop.
pub struct Cluster {
    base: PathBuf,
    port: u16,
    bindir: PathBuf,
    /// False for the shared cluster started by the Makefile: it outlives us.
    owned: bool,
    /// Listens on 127.0.0.1 too, not only on its socket directory.
    tcp: bool,
}

impl Cluster {
    /// Starts a private cluster with extra `postgresql.conf` lines.
    pub fn start_with(conf: &[&str]) -> Cluster {
        Cluster::start_from(&bindir(), conf)
    }

    /// Starts a private cluster of the PostgreSQL installation in `bindir`.
    pub fn start_from(bindir: &Path, conf: &[&str]) -> Cluster {
        let base = std::env::temp_dir().join(format!(
            "skytools-test-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&base).unwrap();
        let data = base.join("data");
        run(
            {
                let mut c = Command::new("cp");
                c.arg("-a").arg(template(bindir)).arg(&data);
                c
            },
            "copying cluster template",
        );
        let mut settings = vec![
            "fsync = off".to_string(),
            "full_page_writes = off".to_string(),
            "max_connections = 200".to_string(),
            "log_min_messages = warning".to_string(),
        ];
        settings.extend(conf.iter().map(|s| s.to_string()));
        std::fs::write(data.join("postgresql.auto.conf"), settings.join("\n") + "\n").unwrap();
        give_to_server_user(&base);
        let tcp = conf.iter().any(|c| c.starts_with("listen_addresses"));
        let cluster = Cluster { base, port: free_port(), bindir: bindir.to_path_buf(), owned: true, tcp };
        cluster.spawn_reaper();
        cluster.pg_ctl_start();
        cluster
    }

    pub fn start() -> Cluster {
        Cluster::start_with(&[])
    }

    /// A private cluster that also listens on 127.0.0.1, at `port()`.
    pub fn start_with_tcp() -> Cluster {
        Cluster::start_with(&["listen_addresses = '127.0.0.1'"])
    }

    /// The cluster the Makefile started (`SKYTOOLS_TEST_PGHOST`/`_PGPORT`), if any.
    pub fn shared_from_env() -> Option<Cluster> {
        let host = std::env::var_os("SKYTOOLS_TEST_PGHOST")?;
        let port = std::env::var("SKYTOOLS_TEST_PGPORT").ok()?.parse().ok()?;
        let base = PathBuf::from(host);
        Some(Cluster { base, port, bindir: bindir(), owned: false, tcp: false })
    }

    fn spawn_reaper(&self) {
        let stop = format!(
            "{} -D {} stop -m immediate",
            if is_root() {
                format!("runuser -u postgres -- {}", self.bindir.join("pg_ctl").display())
            } else {
                self.bindir.join("pg_ctl").display().to_string()
            },
            self.datadir().display()
        );
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; if [ -d {base} ]; then {stop} >/dev/null 2>&1; rm -rf {base}; fi",
            pid = std::process::id(),
            base = self.base.display()
        );
        let mut c = Command::new("sh");
        c.args(["-c", &script]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut c, 0);
        // Never waited for on purpose: it outlives us and is reaped by init.
        #[allow(clippy::zombie_processes)]
        c.spawn().expect("starting reaper");
    }

    pub fn datadir(&self) -> PathBuf {
        self.base.join("data")
    }

    /// The cluster's own temp dir (a good place for archives, backups, configs).
    pub fn base(&self) -> &Path {
        &self.base
    }

    /// The unix socket directory (the `host=` of connect strings).
    pub fn socket_dir(&self) -> PathBuf {
        self.base.clone()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn connstr(&self, dbname: &str) -> String {
        format!("host={} port={} dbname={dbname} user=postgres", self.socket_dir().display(), self.port)
    }

    pub fn client(&self, dbname: &str) -> postgres::Client {
        postgres::Config::new()
            .host_path(self.socket_dir())
            .port(self.port)
            .user("postgres")
            .dbname(dbname)
            .application_name("skytools-tests")
            .connect(postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting to {dbname}: {e:#}"))
    }

    /// Creates a database and returns its connect string.
    pub fn db(&self, name: &str) -> String {
        self.client("postgres").batch_execute(&format!("create database \"{name}\"")).unwrap();
        self.connstr(name)
    }

    fn pg_ctl_start(&self) {
        let mut c = pg_command_in(&self.bindir, "pg_ctl");
        c.arg("-D")
            .arg(self.datadir())
            .arg("-l")
            .arg(self.base.join("server.log"))
            .args(["-w", "-t", "60", "start", "-o"]);
        let mut opts = format!("-p {} -k {}", self.port, self.socket_dir().display());
        if !self.tcp {
            opts.push_str(" -c listen_addresses=''");
        }
        c.arg(opts);
        c.stdout(Stdio::null());
        let out = c.output().expect("pg_ctl");
        if !out.status.success() {
            panic!(
                "pg_ctl start failed: {}\n--- server log ---\n{}",
                String::from_utf8_lossy(&out.stderr),
                self.server_log()
            );
        }
    }

    /// Starts a stopped cluster again.
    pub fn start_again(&self) {
        self.pg_ctl_start();
    }

    pub fn stop(&self) {
        let mut c = pg_command_in(&self.bindir, "pg_ctl");
        c.arg("-D").arg(self.datadir()).args(["-w", "-m", "fast", "stop"]).stdout(Stdio::null());
        run(c, "pg_ctl stop");
    }

    pub fn restart(&self) {
        self.stop();
        self.start_again();
    }

    pub fn server_log(&self) -> String {
        std::fs::read_to_string(self.base.join("server.log")).unwrap_or_default()
    }

    /// A copy of the skytools binary the server user can execute (archive_command and
    /// restore_command run as `postgres`, which may not reach the build directory).
    pub fn install_binary(&self) -> PathBuf {
        let dir = self.base.join("bin");
        std::fs::create_dir_all(&dir).unwrap();
        let bin = dir.join("skytools");
        std::fs::copy(env!("CARGO_BIN_EXE_skytools"), &bin).unwrap();
        give_to_server_user(&dir);
        bin
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        if std::thread::panicking() {
            eprintln!("--- server log of {} ---\n{}", self.base.display(), self.server_log());
        }
        let mut c = pg_command_in(&self.bindir, "pg_ctl");
        c.arg("-D").arg(self.datadir()).args(["-m", "immediate", "stop"]).stdout(Stdio::null()).stderr(Stdio::null());
        let _ = c.status();
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// A private copy of the PostgreSQL installation (binaries, libraries, share dir), made once per
/// machine. PostgreSQL finds its share dir relative to its binaries, so extension files can be
/// installed into the copy without touching the system's (where the original PgQ's live).
/// Returns the copy's bindir.
pub fn relocated_postgres() -> PathBuf {
    let bin = bindir();
    let out = Command::new(bin.join("pg_config")).arg("--sharedir").output().expect("pg_config --sharedir");
    let share = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let prefix: PathBuf =
        bin.components().zip(share.components()).take_while(|(a, b)| a == b).map(|(a, _)| a).collect();
    let lib_root = bin.parent().expect("bindir has a parent");
    let tag = bin.to_string_lossy().replace('/', "_");
    let root = std::env::temp_dir().join(format!("skytools-pg-reloc{tag}"));
    let new_bin = root.join(bin.strip_prefix(&prefix).unwrap());
    if new_bin.join("postgres").exists() {
        return new_bin;
    }
    let tmp = std::env::temp_dir().join(format!(
        "skytools-pg-reloc-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::SeqCst)
    ));
    for src in [lib_root, share.as_path()] {
        let dst = tmp.join(src.strip_prefix(&prefix).unwrap());
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        let mut c = Command::new("cp");
        c.arg("-a").arg(src).arg(&dst);
        run(c, "copying the PostgreSQL installation");
    }
    if std::fs::rename(&tmp, &root).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    new_bin
}
