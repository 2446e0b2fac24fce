//! walmgr against real clusters: a master archiving through `xarchive`, a base backup, a standby
//! restored from it replaying while the master writes, boot with the partially synced last
//! segment, an older backup, archive failures PostgreSQL retries, and bad configs. The slave's
//! storage is a local directory standing in for the remote host.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{self, bindir, give_to_server_user, is_root, text, wait_for, Cluster, TempDir};

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

fn ok(out: Output, what: &str) -> String {
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
        Rig::with(keep_backups, |_| String::new())
    }

    /// `slave_extra` gets the master and returns more lines for the slave config.
    fn with(keep_backups: u32, slave_extra: impl Fn(&Cluster) -> String) -> Rig {
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
             full_backup = %(walmgr_data)s/data.master\n",
            s = store.display()
        );
        std::fs::write(
            &master_ini,
            format!(
                "[walmgr]\nmaster_db = {db}\nmaster_data = {data}\nslave_config = {slave}\n{storage}",
                db = master.connstr("postgres"),
                data = master.datadir().display(),
                slave = slave_ini.display()
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
    rig.switch_and_wait();
    ok(rig.run(&["backup"]), "backup");
    let listing = ok(rig.run(&["listbackups"]), "listbackups");
    assert!(listing.contains("data.master") && listing.contains("walmgr "), "{listing}");

    ok(rig.slave(&["restore"]), "restore");
    assert!(rig.standby.join("standby.signal").exists());
    assert!(!rig.store.join("data.master").exists(), "the only set is moved into place");
    assert!(
        wait_for(60.0, || rig.standby_query("select count(*) from t") == Some(100)),
        "standby never caught up:\n{}",
        rig.standby_log()
    );

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
}

#[test]
fn an_older_backup_restores_with_the_wal_it_needs() {
    let rig = Rig::new(3);
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

    ok(rig.slave(&["restore", "data.master.0"]), "restore of the older set");
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

/// A master config with local storage and a fake data directory: enough for xarchive.
fn fake_master(dir: &TempDir, extra: &str) -> PathBuf {
    let data = dir.join("data");
    std::fs::create_dir_all(data.join("pg_wal/archive_status")).unwrap();
    std::fs::create_dir_all(dir.join("arch")).unwrap();
    let ini = dir.join("wal-master.ini");
    std::fs::write(
        &ini,
        format!(
            "[walmgr]\nmaster_data = {}\ncompleted_wals = {}\npartial_wals = {}/partial\nfull_backup = {}/data.master\n{extra}",
            data.display(),
            dir.join("arch").display(),
            dir.path.display(),
            dir.path.display()
        ),
    )
    .unwrap();
    ini
}

fn xarchive(ini: &Path, name: &str) -> Output {
    support::skytools("walmgr").arg(ini).args(["xarchive", &format!("pg_wal/{name}"), name]).output().unwrap()
}

#[test]
fn xarchive_accepts_an_identical_copy_and_refuses_a_different_one() {
    for transfer in ["copy", "rsync"] {
        let dir = TempDir::new("walmgr-x");
        let ini = fake_master(&dir, &format!("transfer = {transfer}\n"));
        let seg = "000000010000000000000007";
        let wal = dir.join("data/pg_wal").join(seg);
        std::fs::write(&wal, vec![7u8; 1 << 20]).unwrap();
        ok(xarchive(&ini, seg), "xarchive");
        ok(xarchive(&ini, seg), "xarchive of an identical file");
        assert_eq!(std::fs::read(dir.join("arch").join(seg)).unwrap(), vec![7u8; 1 << 20]);
        let sum = std::fs::read_to_string(dir.join("arch").join(format!("{seg}.sum"))).unwrap();
        assert!(sum.starts_with("crc32c=") && sum.contains("size=1048576"), "{sum}");

        std::fs::write(&wal, vec![8u8; 1 << 20]).unwrap();
        let out = xarchive(&ini, seg);
        let code = out.status.code().unwrap();
        assert!(code != 0 && code < 126, "must fail with a code PostgreSQL retries: {code}");
        assert!(text(&out).1.contains("not overwriting"), "{}", text(&out).1);
        assert_eq!(std::fs::read(dir.join("arch").join(seg)).unwrap(), vec![7u8; 1 << 20], "{transfer}");
        let names: Vec<String> = std::fs::read_dir(dir.join("arch"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into())
            .collect();
        assert_eq!(names.len(), 2, "{transfer}: only the file and its checksum: {names:?}");
        assert_eq!(std::fs::read_to_string(dir.join("data/.walshipping.last")).unwrap().trim(), seg);
    }
}

#[test]
fn status_exit_codes_follow_the_archive_backlog() {
    let dir = TempDir::new("walmgr-status");
    let ini = fake_master(&dir, "");
    let status = |args: &[&str]| support::skytools("walmgr").arg(&ini).arg("status").args(args).output().unwrap();
    assert_eq!(status(&[]).status.code(), Some(0));
    let ready = dir.join("data/pg_wal/archive_status/000000010000000000000003.ready");
    std::fs::write(&ready, b"").unwrap();
    assert!(Command::new("touch").args(["-d", "10 minutes ago"]).arg(&ready).status().unwrap().success());
    let out = status(&["--json", "--warning", "60", "--critical", "3600"]);
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    assert!(text(&out).0.contains("\"ready_count\": 1") && text(&out).0.contains("\"status\": \"WARNING\""));
    assert_eq!(status(&["--warning", "60", "--critical", "300"]).status.code(), Some(2));
    std::fs::remove_dir_all(dir.join("data/pg_wal")).unwrap();
    let out = status(&[]);
    assert_eq!(out.status.code(), Some(3), "{:?}", text(&out));
    assert!(text(&out).0.starts_with("WALMGR UNKNOWN"));
}

#[test]
fn bad_configs_and_wrong_commands_fail_clearly() {
    let dir = TempDir::new("walmgr-bad");
    let run = |ini: &str, args: &[&str]| {
        let p = dir.join("bad.ini");
        std::fs::write(&p, ini).unwrap();
        let out = support::skytools("walmgr3").arg(&p).args(args).output().unwrap();
        (out.status.code(), text(&out).1)
    };
    let (code, err) = run("[walmgr]\nwalmgr_data = /tmp/x\n", &["xrestore", "000000010000000000000001", "x"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("neither master_data nor slave_data"), "{err}");
    let (code, err) = run("[walmgr]\nmaster_data = /tmp\ntransfer = scp\n", &["xarchive", "a", "b"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("transfer") && err.contains("scp"), "{err}");
    let (code, err) = run("[walmgr]\nmaster_data = /tmp\ncompleted_wals = host:\n", &["status"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("host:"), "{err}");
    let (code, err) = run("[walmgr]\nmaster_data = /tmp\n", &["xrestore", "000000010000000000000001", "x"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("Action not available on current node."), "{err}");
    let (code, err) = run("[walmgr]\nslave_data = /tmp/x\nkeep_backups = many\n", &["xrotate"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("keep_backups"), "{err}");
    let (code, err) = run("[walmgr]\nslave_data = /tmp/x\n", &["frobnicate"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("unknown command 'frobnicate'"), "{err}");
    let (code, err) = run("[other]\nslave_data = /tmp/x\n", &["status"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("no section 'walmgr'"), "{err}");
    let out = support::skytools("walmgr").arg(dir.join("missing.ini")).arg("status").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("missing.ini"));
}

/// A slave config with local storage and a data directory that is a standby.
fn fake_slave(dir: &TempDir) -> PathBuf {
    for d in ["standby/pg_wal", "store/logs.complete", "store/logs.partial"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    std::fs::write(dir.join("standby/standby.signal"), b"").unwrap();
    let ini = dir.join("wal-slave.ini");
    std::fs::write(
        &ini,
        format!(
            "[walmgr]\nslave_data = {}\nwalmgr_data = {}\ncompleted_wals = %(walmgr_data)s/logs.complete\n\
             partial_wals = %(walmgr_data)s/logs.partial\nfull_backup = %(walmgr_data)s/data.master\n",
            dir.join("standby").display(),
            dir.join("store").display()
        ),
    )
    .unwrap();
    ini
}

#[test]
fn xrestore_verifies_checksums_and_follows_pause_and_stop() {
    let dir = TempDir::new("walmgr-xr");
    let ini = fake_slave(&dir);
    let master = fake_master(&dir, &format!("completed_wals = {}\n", dir.join("store/logs.complete").display()));
    let walmgr = |ini: &Path, args: &[&str]| support::skytools("walmgr").arg(ini).args(args).output().unwrap();
    let restored = dir.join("standby/pg_wal/RECOVERYXLOG");
    let seg = "000000010000000000000005";
    let next = "000000010000000000000006";

    std::fs::write(dir.join("data/pg_wal").join(seg), vec![5u8; 65536]).unwrap();
    ok(xarchive(&master, seg), "xarchive");
    std::fs::write(dir.join("store/logs.partial").join(seg), b"older partial copy").unwrap();
    ok(walmgr(&ini, &["xrestore", seg, "pg_wal/RECOVERYXLOG", "000000010000000000000004"]), "xrestore");
    assert_eq!(std::fs::read(&restored).unwrap(), vec![5u8; 65536]);
    assert!(!dir.join("store/logs.partial").join(seg).exists(), "partial copy of a complete segment pruned");
    let progress = std::fs::read_to_string(dir.join("store/logs.complete/LAST_RESTORED")).unwrap();
    assert_eq!(progress.trim(), format!("{seg} 000000010000000000000004"));

    // Missing: not found at once (the standby asks again), exit 1.
    assert_eq!(walmgr(&ini, &["xrestore", next, "pg_wal/RECOVERYXLOG"]).status.code(), Some(1));
    // Paused: even an archived segment is held back.
    ok(walmgr(&ini, &["pause"]), "pause");
    std::fs::remove_file(&restored).unwrap();
    assert_eq!(walmgr(&ini, &["xrestore", seg, "pg_wal/RECOVERYXLOG"]).status.code(), Some(1));
    assert!(!restored.exists());
    ok(walmgr(&ini, &["continue"]), "continue");
    // After boot's STOP file the partial copy of a missing segment is handed over.
    std::fs::write(dir.join("store/logs.partial").join(next), b"partial").unwrap();
    assert_eq!(walmgr(&ini, &["xrestore", next, "pg_wal/RECOVERYXLOG"]).status.code(), Some(1));
    std::fs::write(dir.join("store/logs.complete/STOP"), b"").unwrap();
    ok(walmgr(&ini, &["xrestore", next, "pg_wal/RECOVERYXLOG"]), "xrestore from partial");
    assert_eq!(std::fs::read(&restored).unwrap(), b"partial");

    // A damaged archive file fails and leaves nothing behind.
    std::fs::write(dir.join("store/logs.complete").join(seg), vec![6u8; 65536]).unwrap();
    let out = walmgr(&ini, &["xrestore", seg, "pg_wal/RECOVERYXLOG"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("fails its checksum"), "{}", text(&out).1);
    assert!(!restored.exists());

    // Backup lock: taken, held by a live process, released.
    ok(walmgr(&ini, &["xlock", &std::process::id().to_string()]), "xlock");
    let out = walmgr(&ini, &["xlock", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out).0.trim(), std::process::id().to_string());
    ok(walmgr(&ini, &["xrelease"]), "xrelease");
    ok(walmgr(&ini, &["xlock", "1"]), "xlock after release");
}

#[test]
fn init_master_and_init_slave_write_configs_that_load() {
    let dir = TempDir::new("walmgr-init");
    let data = dir.join("pgdata");
    std::fs::create_dir_all(&data).unwrap();
    let conf = dir.join("conf");
    let init = |args: &[&str]| {
        support::skytools("walmgr3")
            .args(args)
            .arg("--pgdata")
            .arg(&data)
            .arg("--config-dir")
            .arg(&conf)
            .env("HOME", &dir.path)
            .output()
            .unwrap()
    };
    ok(init(&["--init-master", "--slave", "standby1"]), "--init-master");
    ok(init(&["--init-slave", "--walmgr-data", "/srv/wal"]), "--init-slave");
    let again = init(&["--init-slave"]);
    assert_eq!(again.status.code(), Some(1), "never overwrites");
    assert!(text(&again).1.contains("already exists"));

    let master = std::fs::read_to_string(conf.join("wal-master.ini")).unwrap();
    assert!(master.contains(&format!("master_data = {}", data.display())), "{master}");
    assert!(master.contains("completed_wals = %(slave)s:%(walmgr_data)s/logs.complete"), "{master}");
    // The written master config points at the remote slave: status works without the storage.
    let out = support::skytools("walmgr")
        .arg(conf.join("wal-master.ini"))
        .arg("status")
        .env("HOME", &dir.path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "no pg_wal in the fake data directory: {:?}", text(&out));
    let slave = std::fs::read_to_string(conf.join("wal-slave.ini")).unwrap();
    assert!(
        slave.contains(&format!("slave_data = {}", data.display())) && slave.contains("walmgr_data = /srv/wal"),
        "{slave}"
    );
    let out = support::skytools("walmgr")
        .arg(conf.join("wal-slave.ini"))
        .arg("xrotate")
        .arg("-n")
        .env("HOME", &dir.path)
        .output()
        .unwrap();
    support::assert_ok(&out, "xrotate -n with the written slave config");
}

#[test]
fn a_backup_taken_on_the_standby_restores_as_a_standby() {
    let rig = Rig::new(2);
    let count = |want: i64| wait_for(60.0, || rig.standby_query("select count(*) from t") == Some(want));
    rig.sql("create table t (id int)");
    rig.sql("insert into t select generate_series(1, 50)");
    ok(rig.run(&["backup"]), "master backup");
    ok(rig.slave(&["restore"]), "restore");
    assert!(rig.store.join("data.master").exists(), "with keep_backups the set is copied");
    assert!(count(50), "standby did not catch up:\n{}", rig.standby_log());

    let out = ok(rig.slave(&["backup"]), "backup on the standby");
    assert!(out.contains("stopping the standby") && out.contains("starting the standby again"), "{out}");
    let info = std::fs::read_to_string(rig.store.join("data.master/walmgr_backup_info")).unwrap();
    assert!(info.contains("BACKUP FROM: standby"), "{info}");
    assert!(!rig.store.join("data.master/backup_label").exists(), "a cold copy must not look like an online backup");
    assert!(rig.store.join("data.master.0/backup_label").exists(), "the master's set was rotated");
    let listing = ok(rig.slave(&["listbackups"]), "listbackups");
    assert!(listing.contains("walmgr standby copy"), "{listing}");
    rig.sql("insert into t select generate_series(51, 80)");
    rig.switch_and_wait();
    assert!(count(80), "standby did not resume after the copy:\n{}", rig.standby_log());

    ok(rig.slave(&["restore"]), "restore from the standby's copy");
    assert!(rig.master.base().join("standby.0").exists(), "old data directory kept");
    rig.sql("insert into t select generate_series(81, 90)");
    rig.switch_and_wait();
    assert!(count(90), "standby from the standby's copy did not replay:\n{}", rig.standby_log());
    ok(rig.slave(&["boot"]), "boot");
    assert!(wait_for(60.0, || rig.standby_query("select (not pg_is_in_recovery())::int::bigint") == Some(1)));
    assert_eq!(rig.standby_query("select count(*) from t"), Some(90));
}

#[test]
fn periodic_runs_once_per_interval_and_xpartialsync_writes_at_the_offset() {
    let dir = TempDir::new("walmgr-periodic");
    let marker = dir.join("ran");
    let ini =
        fake_master(&dir, &format!("command_interval = 3600\nperiodic_command = echo run >> {}\n", marker.display()));
    let walmgr = |ini: &Path, args: &[&str]| support::skytools("walmgr").arg(ini).args(args).output().unwrap();
    ok(walmgr(&ini, &["periodic"]), "periodic");
    ok(walmgr(&ini, &["periodic"]), "periodic again");
    let seg = "000000010000000000000009";
    std::fs::write(dir.join("data/pg_wal").join(seg), vec![9u8; 4096]).unwrap();
    ok(xarchive(&ini, seg), "xarchive runs the hook too");
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "run\n", "once within command_interval");

    let slave = fake_slave(&dir);
    let mut child = support::skytools("walmgr")
        .arg(&slave)
        .args(["xpartialsync", seg, "1000", "5", "65536"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"hello").unwrap();
    drop(child.stdin.take());
    ok(child.wait_with_output().unwrap(), "xpartialsync");
    let part = std::fs::read(dir.join("store/logs.partial").join(seg)).unwrap();
    assert_eq!(part.len(), 65536, "kept at segment size");
    assert_eq!(&part[1000..1005], b"hello");
    assert!(part[..1000].iter().chain(&part[1005..]).all(|b| *b == 0));
    let short = walmgr(&slave, &["xpartialsync", seg, "65530", "10", "65536"]);
    assert_eq!(short.status.code(), Some(1), "past the segment end");
}

#[test]
fn createslave_makes_a_streaming_standby_and_synch_standby_makes_it_synchronous() {
    let rig = Rig::with(0, |m| format!("primary_conninfo = {} application_name=standby1\n", m.connstr("postgres")));
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
    assert!(wait_for(30.0, || rig.standby_query("select count(*) from t") == Some(21)));

    ok(rig.slave(&["boot"]), "boot");
    assert!(wait_for(60.0, || rig.standby_query("select (not pg_is_in_recovery())::int::bigint") == Some(1)));
    assert_eq!(rig.standby_query("select count(*) from t"), Some(21));
}
