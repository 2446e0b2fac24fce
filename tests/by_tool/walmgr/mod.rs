//! walmgr against real clusters: a master archiving through `xarchive`, a base backup, a standby
//! restored from it replaying while the master writes, boot with the partially synced last
//! segment, an older backup, a backup taken on the standby, createslave and synch-standby, and
//! archive failures PostgreSQL retries. The slave's storage is a local directory standing in
//! for the remote host. `files` has the tests that need no server, `recovery` the master's own
//! restore, sync from a dead master and keep_symlinks, `ssh` everything over a real sshd.

mod files;
mod recovery;
mod ssh;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{self, bindir, give_to_server_user, is_root, text, wait_for, Cluster};

/// Runs the installed binary as the server user (archive and restore commands run as that user
/// too, so files stay owned by it).
fn walmgr(bin: &Path, ini: &Path, args: &[&str]) -> Output {
    let mut c = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    c.arg("walmgr").arg(ini).args(args).output().unwrap()
}

pub(super) fn ok(out: Output, what: &str) -> String {
    support::assert_ok(&out, what);
    let (o, e) = text(&out);
    o + &e
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A master cluster with archiving through walmgr, and the slave side under the same base dir.
struct Rig {
    master: Cluster,
    bin: PathBuf,
    master_ini: PathBuf,
    slave_ini: PathBuf,
    store: PathBuf,
    standby: PathBuf,
    standby_port: u16,
}

impl Rig {
    fn new(keep_backups: u32) -> Rig {
        Rig::with(keep_backups, "", |_| String::new())
    }

    /// More lines for the master config; `slave_extra` gets the master and returns more lines
    /// for the slave config.
    fn with(keep_backups: u32, master_extra: &str, slave_extra: impl Fn(&Cluster) -> String) -> Rig {
        Rig::build(keep_backups, |_| None, master_extra, slave_extra)
    }

    /// `master_storage` gets the storage base directory and may return the master's own
    /// storage lines (say `host:path` ones) instead of the slave's local paths.
    fn build(
        keep_backups: u32,
        master_storage: impl Fn(&Path) -> Option<String>,
        master_extra: &str,
        slave_extra: impl Fn(&Cluster) -> String,
    ) -> Rig {
        let master = Cluster::start_with(&["archive_mode = on", "wal_keep_size = 0"]);
        let bin = master.install_binary();
        let base = master.base().to_path_buf();
        let store = base.join("walshipping");
        let standby = base.join("standby");
        let standby_port = free_port();
        let pg_ctl = bindir().join("pg_ctl");
        let master_ini = base.join("wal-master.ini");
        let slave_ini = base.join("wal-slave.ini");
        let storage = format!(
            "walmgr_data = {s}\ncompleted_wals = %(walmgr_data)s/logs.complete\npartial_wals = %(walmgr_data)s/logs.partial\n\
             full_backup = %(walmgr_data)s/data.master\nconfig_backup = %(walmgr_data)s/config.backup\n",
            s = store.display()
        );
        std::fs::write(
            &master_ini,
            format!(
                "[walmgr]\nmaster_db = {db}\nmaster_data = {data}\nslave_config = {slave}\n{storage}{master_extra}",
                db = master.connstr("postgres"),
                data = master.datadir().display(),
                slave = slave_ini.display(),
                storage = master_storage(&store).unwrap_or_else(|| storage.clone()),
            ),
        )
        .unwrap();
        std::fs::write(
            &slave_ini,
            format!(
                "[walmgr]\nslave_data = {sd}\nslave_bin = {bin}\nkeep_backups = {keep_backups}\nrestore_poll = 0.1\n\
                 slave_start_cmd = {pg_ctl} -D {sd} -l {base}/standby.log -w -t 60 start -o \"-p {port} -k {base} -c listen_addresses=''\"\n\
                 slave_stop_cmd = {pg_ctl} -D {sd} -m fast -w stop\n{storage}{extra}",
                sd = standby.display(),
                bin = bindir().display(),
                pg_ctl = pg_ctl.display(),
                base = base.display(),
                port = standby_port,
                extra = slave_extra(&master),
            ),
        )
        .unwrap();
        give_to_server_user(&base);
        let rig = Rig { master, bin, master_ini, slave_ini, store, standby, standby_port };
        ok(rig.slave(&["setup"]), "slave setup");
        let out = ok(rig.run(&["setup"]), "master setup");
        assert!(!out.contains("must be restarted"), "archive_mode was already on: {out}");
        rig
    }

    fn run(&self, args: &[&str]) -> Output {
        walmgr(&self.bin, &self.master_ini, args)
    }

    fn slave(&self, args: &[&str]) -> Output {
        walmgr(&self.bin, &self.slave_ini, args)
    }

    fn completed(&self) -> PathBuf {
        self.store.join("logs.complete")
    }

    fn sql(&self, sql: &str) -> String {
        let mut c = self.master.client("postgres");
        c.simple_query(sql)
            .unwrap()
            .into_iter()
            .find_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).unwrap_or("").to_string()),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// Creates tablespace ts1 in a directory beside the master's data and a table `in_ts` of
    /// 25 rows in it, for the tests that follow a tablespace through backup and restore.
    fn tablespace_with_rows(&self) {
        let ts = self.master.base().join("ts1");
        std::fs::create_dir_all(&ts).unwrap();
        give_to_server_user(&ts);
        self.sql(&format!("create tablespace ts1 location '{}'", ts.display()));
        self.sql("create table in_ts (id int) tablespace ts1");
        self.sql("insert into in_ts select generate_series(1, 25)");
    }

    /// Switches to a new segment and waits until the finished one is in the archive.
    fn switch_and_wait(&self) -> String {
        let seg = self.sql("select pg_walfile_name(pg_switch_wal())");
        let done = self.completed().join(format!("{seg}.sum"));
        assert!(wait_for(30.0, || done.exists()), "{seg} not archived:\n{}", self.master.server_log());
        seg
    }

    fn standby_client(&self) -> Option<postgres::Client> {
        postgres::Config::new()
            .host_path(self.master.base())
            .port(self.standby_port)
            .user("postgres")
            .dbname("postgres")
            .connect(postgres::NoTls)
            .ok()
    }

    fn standby_query(&self, sql: &str) -> Option<i64> {
        self.standby_client()?.query_one(sql, &[]).ok().map(|r| r.get(0))
    }

    fn standby_log(&self) -> String {
        std::fs::read_to_string(self.master.base().join("standby.log")).unwrap_or_default()
    }
}

/// A server started on a data directory walmgr prepared, stopped on drop.
struct Started {
    data: PathBuf,
    port: u16,
    base: PathBuf,
}

impl Started {
    fn start(rig: &Rig, data: &Path) -> Started {
        let port = free_port();
        let base = rig.master.base().to_path_buf();
        let log = data.with_extension("log");
        let mut c = support::pg_command("pg_ctl");
        c.arg("-D").arg(data).arg("-l").arg(&log).args(["-w", "-t", "60", "start", "-o"]);
        c.arg(format!("-p {port} -k {} -c listen_addresses=''", base.display()));
        let out = c.output().unwrap();
        let started = Started { data: data.to_path_buf(), port, base };
        assert!(out.status.success(), "{:?}\n{}", text(&out), std::fs::read_to_string(&log).unwrap_or_default());
        started
    }

    fn query(&self, sql: &str) -> Option<i64> {
        let mut c = postgres::Config::new()
            .host_path(&self.base)
            .port(self.port)
            .user("postgres")
            .dbname("postgres")
            .connect(postgres::NoTls)
            .ok()?;
        c.query_one(sql, &[]).ok().map(|r| r.get(0))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.data.with_extension("log")).unwrap_or_default()
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        let _ = support::pg_command("pg_ctl").arg("-D").arg(&self.data).args(["-m", "immediate", "stop"]).output();
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- standby log ---\n{}", self.standby_log());
        }
        if self.standby.join("postmaster.pid").exists() {
            let _ =
                support::pg_command("pg_ctl").arg("-D").arg(&self.standby).args(["-m", "immediate", "stop"]).output();
        }
    }
}

#[test]
fn standby_replays_while_master_writes_and_boot_keeps_every_committed_row() {
    let rig = Rig::new(0);
    rig.sql("create table t (id int primary key, note text)");
    rig.sql("insert into t select g, 'before backup' from generate_series(1, 100) g");
    // A tablespace travels inside the backup set and lands inside the standby's data directory.
    rig.tablespace_with_rows();
    rig.switch_and_wait();
    // The master's config files travel through config_backup.
    let hba = rig.master.datadir().join("pg_hba.conf");
    let mut hba_text = std::fs::read_to_string(&hba).unwrap();
    hba_text.push_str("# marker: the master's pg_hba.conf\n");
    std::fs::write(&hba, &hba_text).unwrap();
    ok(rig.run(&["backup"]), "backup");
    assert_eq!(std::fs::read_to_string(rig.store.join("config.backup/pg_hba.conf")).unwrap(), hba_text);
    let listing = ok(rig.run(&["listbackups"]), "listbackups");
    assert!(listing.contains("data.master") && listing.contains("walmgr "), "{listing}");

    let out = ok(rig.slave(&["restore"]), "restore");
    assert!(out.contains("config files from"), "{out}");
    assert_eq!(std::fs::read_to_string(rig.standby.join("pg_hba.conf")).unwrap(), hba_text);
    let conf = std::fs::read_to_string(rig.standby.join("postgresql.conf")).unwrap();
    let archive: Vec<&str> = conf.lines().filter(|l| l.starts_with("archive_command")).collect();
    assert_eq!(archive, ["archive_command = '/bin/true'"], "the master's archive_command must not come along");
    assert!(rig.standby.join("standby.signal").exists());
    assert!(!rig.store.join("data.master").exists(), "the only set is moved into place");
    assert!(
        wait_for(60.0, || rig.standby_query("select count(*) from t") == Some(100)),
        "standby never caught up:\n{}",
        rig.standby_log()
    );
    assert_eq!(rig.standby_query("select count(*) from in_ts"), Some(25));
    let oid = rig.sql("select oid from pg_tablespace where spcname = 'ts1'");
    let link = std::fs::read_link(rig.standby.join("pg_tblspc").join(&oid)).unwrap();
    assert!(link.starts_with(&rig.standby), "tablespace {oid} of the standby is {}", link.display());

    // Continuous replay: rows committed after the backup arrive segment by segment.
    for round in 0..3 {
        rig.sql(&format!(
            "insert into t select g, 'round {round}' from generate_series({s}, {e}) g",
            s = 101 + round * 100,
            e = 200 + round * 100
        ));
        rig.switch_and_wait();
        let want = 200 + round as i64 * 100;
        assert!(
            wait_for(30.0, || rig.standby_query("select count(*) from t") == Some(want)),
            "standby did not replay round {round}:\n{}",
            rig.standby_log()
        );
        assert_eq!(rig.standby_query("select pg_is_in_recovery()::int::bigint"), Some(1));
    }

    // The last rows never reach a finished segment: only the partial sync carries them.
    rig.sql("insert into in_ts values (26)");
    rig.sql("insert into t select g, 'after last switch' from generate_series(401, 420) g");
    ok(rig.run(&["sync"]), "sync");
    let current = rig.sql("select pg_walfile_name(pg_current_wal_lsn())");
    assert!(rig.store.join("logs.partial").join(&current).exists(), "no partial copy of {current}");
    let pidfile = rig.master.base().join("sync.pid");
    let set_pid = format!("pidfile={}", pidfile.display());
    ok(rig.run(&["syncdaemon", "-d", "--set", "loop_delay=0.2", "--set", &set_pid]), "syncdaemon -d");
    rig.sql("insert into t select g, 'after last switch' from generate_series(421, 450) g");
    let (name, offset) = {
        let pos = rig.sql("select file_name || ' ' || file_offset from pg_walfile_name_offset(pg_current_wal_lsn())");
        let (n, o) = pos.split_once(' ').unwrap();
        (n.to_string(), o.parse::<usize>().unwrap())
    };
    let shipped = || {
        let wal = std::fs::read(rig.master.datadir().join("pg_wal").join(&name)).unwrap();
        let part = std::fs::read(rig.store.join("logs.partial").join(&name)).unwrap_or_default();
        part.len() >= offset && part[..offset] == wal[..offset]
    };
    assert!(wait_for(30.0, shipped), "syncdaemon did not ship {name} up to {offset}");
    ok(rig.run(&["-s", "--set", &set_pid]), "syncdaemon -s");
    assert!(wait_for(10.0, || !pidfile.exists()), "syncdaemon did not stop");
    let mut stop = support::pg_command("pg_ctl");
    stop.arg("-D").arg(rig.master.datadir()).args(["-m", "immediate", "stop"]);
    assert!(stop.output().unwrap().status.success());

    let status = rig.slave(&["status", "--json"]);
    let (out, _) = text(&status);
    assert!(out.contains("\"role\": \"slave\"") && out.contains("\"standby\": true"), "{out}");

    ok(rig.slave(&["boot"]), "boot");
    assert!(
        wait_for(60.0, || rig.standby_query("select (not pg_is_in_recovery())::int::bigint") == Some(1)),
        "standby not promoted:\n{}",
        rig.standby_log()
    );
    assert_eq!(rig.standby_query("select count(*) from t"), Some(450), "{}", rig.standby_log());
    assert_eq!(rig.standby_query("select count(*) from t where note = 'after last switch'"), Some(50));
    assert_eq!(rig.standby_query("select count(*) from in_ts"), Some(26));
}

#[test]
fn an_older_backup_restores_with_the_wal_it_needs() {
    // Everything travels by rsync here (archive and backups), as it would to a remote slave;
    // the standby keeps its WAL outside its data directory.
    let rig = Rig::with(3, "transfer = rsync\n", |m| format!("slave_pg_xlog = {}/extwal\n", m.base().display()));
    rig.sql("create table t (id int)");
    rig.sql("insert into t select generate_series(1, 10)");
    ok(rig.run(&["backup"]), "first backup");
    let first = std::fs::read_to_string(rig.store.join("data.master/backup_label")).unwrap();
    rig.sql("insert into t select generate_series(11, 20)");
    rig.switch_and_wait();
    ok(rig.run(&["backup"]), "second backup");
    rig.sql("insert into t select generate_series(21, 30)");
    rig.switch_and_wait();

    let json = ok(rig.run(&["listbackups", "--json"]), "listbackups --json");
    assert!(json.contains("\"set\": \"data.master\"") && json.contains("\"set\": \"data.master.0\""), "{json}");
    assert_eq!(std::fs::read_to_string(rig.store.join("data.master.0/backup_label")).unwrap(), first);
    // The cleanup after the second backup kept what the first one needs.
    let first_wal = first.split("(file ").nth(1).unwrap().split(')').next().unwrap();
    assert!(rig.completed().join(first_wal).exists(), "{first_wal} purged too early");

    // A set restored into another directory than slave_data is prepared as a standby, not
    // started (slave_start_cmd is for slave_data); PostgreSQL's restore_command finds its way.
    let other = rig.master.base().join("other");
    let out = ok(rig.slave(&["restore", "data.master", other.to_str().unwrap()]), "restore into another directory");
    assert!(out.contains("start it yourself"), "{out}");
    assert!(other.join("standby.signal").exists() && !other.join("postmaster.pid").exists());
    assert!(!rig.standby.exists(), "slave_data untouched");
    let server = Started::start(&rig, &other);
    assert!(
        wait_for(60.0, || server.query("select count(*) from t") == Some(30)),
        "standby in another directory did not replay:\n{}",
        server.log()
    );
    drop(server);

    std::fs::create_dir_all(rig.master.base().join("extwal")).unwrap();
    std::fs::write(rig.master.base().join("extwal/000000010000000000000099"), b"stale").unwrap();
    give_to_server_user(&rig.master.base().join("extwal"));
    ok(rig.slave(&["restore", "data.master.0"]), "restore of the older set");
    let link = std::fs::read_link(rig.standby.join("pg_wal")).unwrap();
    assert_eq!(link, rig.master.base().join("extwal"));
    assert!(!link.join("000000010000000000000099").exists(), "old WAL cleared");
    assert!(rig.store.join("data.master.0").exists(), "a named set is copied, not consumed");
    assert!(
        wait_for(60.0, || rig.standby_query("select count(*) from t") == Some(30)),
        "older backup did not replay to the end:\n{}",
        rig.standby_log()
    );
    ok(rig.slave(&["boot"]), "boot");
    assert!(wait_for(60.0, || rig.standby_query("select (not pg_is_in_recovery())::int::bigint") == Some(1)));
    assert_eq!(rig.standby_query("select count(*) from t"), Some(30));

    // stop: archiving off in the config, a harmless archive_command live until the restart.
    let out = ok(rig.run(&["stop"]), "stop");
    assert!(out.contains("must be restarted to disable archiving"), "{out}");
    assert_eq!(rig.sql("show archive_command"), "/bin/true");
    let conf = std::fs::read_to_string(rig.master.datadir().join("postgresql.conf")).unwrap();
    assert!(conf.contains("\narchive_mode = 'off'\n"), "{conf}");
}

/// After three failures in a row the archiver sleeps up to a minute; a new finished segment
/// wakes it (and it archives the oldest first).
fn wake_archiver(rig: &Rig) {
    rig.sql("insert into t values (0)");
    rig.sql("select pg_switch_wal()");
}

fn archiver_failures(rig: &Rig) -> i64 {
    rig.sql("select failed_count from pg_stat_archiver").parse().unwrap()
}

#[test]
fn archive_failures_leave_postgres_retrying_without_losing_a_segment() {
    let rig = Rig::new(0);
    rig.sql("create table t (id int)");
    let dir = rig.completed();

    // Read-only archive: the segment stays .ready and arrives once the directory is writable.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    rig.sql("insert into t select generate_series(1, 1000)");
    let seg = rig.sql("select pg_walfile_name(pg_switch_wal())");
    assert!(wait_for(30.0, || archiver_failures(&rig) >= 2), "archiver did not retry");
    let ready = rig.master.datadir().join(format!("pg_wal/archive_status/{seg}.ready"));
    assert!(ready.exists() && !dir.join(&seg).exists());
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    wake_archiver(&rig);
    assert!(wait_for(30.0, || dir.join(format!("{seg}.sum")).exists()), "{seg} never archived");
    assert_eq!(std::fs::metadata(dir.join(&seg)).unwrap().len(), 16 << 20);

    // Full archive filesystem: same story, once the archiver has caught up.
    let status_dir = rig.master.datadir().join("pg_wal/archive_status");
    let idle = || {
        !std::fs::read_dir(&status_dir).unwrap().flatten().any(|e| e.file_name().to_string_lossy().ends_with(".ready"))
    };
    assert!(wait_for(30.0, idle), "archiver did not catch up");
    if !is_root()
        || !Command::new("mount").args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"]).arg(&dir).status().unwrap().success()
    {
        eprintln!("cannot mount a small tmpfs here, full-disk case not tested");
        return;
    }
    give_to_server_user(&dir);
    let before = archiver_failures(&rig);
    rig.sql("insert into t select generate_series(1, 1000)");
    let seg = rig.sql("select pg_walfile_name(pg_switch_wal())");
    let full = wait_for(30.0, || archiver_failures(&rig) >= before + 2);
    let kept = rig.master.datadir().join(format!("pg_wal/archive_status/{seg}.ready")).exists();
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name()).collect();
    Command::new("umount").arg(&dir).status().unwrap();
    assert!(full && kept, "a full archive must fail and keep the segment");
    wake_archiver(&rig);
    assert!(leftovers.is_empty(), "no half-written files: {leftovers:?}");
    assert!(
        wait_for(30.0, || dir.join(format!("{seg}.sum")).exists()),
        "{seg} never archived after the disk was freed"
    );
}

#[test]
fn a_backup_taken_on_the_standby_restores_as_a_standby() {
    // The archive is gzipped here: the standby restores through the decompression.
    let rig = Rig::with(2, "compression = 1\n", |_| String::new());
    let count = |want: i64| wait_for(60.0, || rig.standby_query("select count(*) from t") == Some(want));
    rig.sql("create table t (id int)");
    rig.sql("insert into t select generate_series(1, 50)");
    // A tablespace: inside the standby's data directory after restore, and in its copy.
    rig.tablespace_with_rows();
    let oid = rig.sql("select oid from pg_tablespace where spcname = 'ts1'");
    ok(rig.run(&["backup"]), "master backup");
    ok(rig.slave(&["restore"]), "restore");
    assert!(rig.store.join("data.master").exists(), "with keep_backups the set is copied");
    assert!(count(50), "standby did not catch up:\n{}", rig.standby_log());

    let out = ok(rig.slave(&["backup"]), "backup on the standby");
    assert!(out.contains("stopping the standby") && out.contains("starting the standby again"), "{out}");
    let info = std::fs::read_to_string(rig.store.join("data.master/walmgr_backup_info")).unwrap();
    assert!(info.contains("BACKUP FROM: standby"), "{info}");
    assert!(!rig.store.join("data.master/backup_label").exists(), "a cold copy must not look like an online backup");
    assert!(rig.store.join("data.master/tblspc").join(&oid).is_dir(), "the tablespace is in the standby's copy");
    assert!(rig.store.join("data.master.0/backup_label").exists(), "the master's set was rotated");
    let listing = ok(rig.slave(&["listbackups"]), "listbackups");
    assert!(listing.contains("walmgr standby copy"), "{listing}");
    rig.sql("insert into t select generate_series(51, 80)");
    let seg = rig.switch_and_wait();
    let packed = std::fs::read(rig.completed().join(&seg)).unwrap();
    assert!(packed.starts_with(&[0x1f, 0x8b]) && packed.len() < 4 << 20, "{seg}: {} bytes", packed.len());
    assert!(count(80), "standby did not resume after the copy:\n{}", rig.standby_log());

    ok(rig.slave(&["restore"]), "restore from the standby's copy");
    assert!(rig.master.base().join("standby.0").exists(), "old data directory kept");
    rig.sql("insert into t select generate_series(81, 90)");
    rig.switch_and_wait();
    assert!(count(90), "standby from the standby's copy did not replay:\n{}", rig.standby_log());
    rig.sql("insert into in_ts values (26)");
    rig.switch_and_wait();
    assert!(
        wait_for(60.0, || rig.standby_query("select count(*) from in_ts") == Some(26)),
        "tablespace of the standby's copy:\n{}",
        rig.standby_log()
    );
    let link = std::fs::read_link(rig.standby.join("pg_tblspc").join(&oid)).unwrap();
    assert_eq!(link, rig.standby.join("tblspc").join(&oid));
    ok(rig.slave(&["boot"]), "boot");
    assert!(wait_for(60.0, || rig.standby_query("select (not pg_is_in_recovery())::int::bigint") == Some(1)));
    assert_eq!(rig.standby_query("select count(*) from t"), Some(90));
}

#[test]
fn createslave_makes_a_streaming_standby_and_synch_standby_makes_it_synchronous() {
    let rig = Rig::with(0, "", |m| format!("primary_conninfo = {} application_name=standby1\n", m.connstr("postgres")));
    rig.sql("create table t (id int)");
    rig.sql("insert into t select generate_series(1, 10)");
    let out = ok(rig.slave(&["createslave"]), "createslave");
    assert!(out.contains("Streaming replication standby created successfully"), "{out}");
    assert!(rig.standby.join("standby.signal").exists());
    let auto = std::fs::read_to_string(rig.standby.join("postgresql.auto.conf")).unwrap();
    assert!(auto.contains("xrestore") && auto.contains("primary_conninfo"), "{auto}");
    // No segment switch: only streaming can bring these rows.
    rig.sql("insert into t select generate_series(11, 20)");
    assert!(
        wait_for(60.0, || rig.standby_query("select count(*) from t") == Some(20)),
        "standby does not stream:\n{}",
        rig.standby_log()
    );
    assert_eq!(rig.sql("select count(*) from pg_stat_replication"), "1");

    // synch-standby only enables what a connected standby can satisfy.
    let out = rig.run(&["synch-standby", "nosuch"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("At least one slave must be available"), "{:?}", text(&out));
    ok(rig.run(&["synch-standby", "FIRST 1 (standby1, other)"]), "synch-standby");
    assert!(wait_for(10.0, || rig.sql("show synchronous_standby_names") == "FIRST 1 (standby1, other)"));
    rig.sql("insert into t values (21)");
    assert!(wait_for(10.0, || rig.sql("select sync_state from pg_stat_replication") == "sync"));
    ok(rig.run(&["synch-standby", ""]), "synch-standby off");
    assert!(wait_for(10.0, || rig.sql("show synchronous_standby_names").is_empty()));
    // Without a config: the master found from its data directory and postmaster.pid.
    let no_config = |names: &str| {
        let mut c = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&rig.bin);
            c
        } else {
            Command::new(&rig.bin)
        };
        c.args(["walmgr", "--synch-standby", names, "--pgdata"]).arg(rig.master.datadir()).output().unwrap()
    };
    let out = no_config("nosuch");
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    assert!(text(&out).1.contains("At least one slave must be available"), "{:?}", text(&out));
    ok(no_config("standby1"), "--synch-standby without a config");
    assert!(wait_for(10.0, || rig.sql("show synchronous_standby_names") == "standby1"));
    assert!(wait_for(10.0, || rig.sql("select sync_state from pg_stat_replication") == "sync"));
    ok(no_config(""), "--synch-standby '' without a config");
    assert!(wait_for(10.0, || rig.sql("show synchronous_standby_names").is_empty()));
    assert!(wait_for(30.0, || rig.standby_query("select count(*) from t") == Some(21)));

    ok(rig.slave(&["boot"]), "boot");
    assert!(wait_for(60.0, || rig.standby_query("select (not pg_is_in_recovery())::int::bigint") == Some(1)));
    assert_eq!(rig.standby_query("select count(*) from t"), Some(21));
}
