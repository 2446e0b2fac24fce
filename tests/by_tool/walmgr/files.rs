//! walmgr on plain directories, without a server: xarchive's no-overwrite rule over both
//! transfers, xrestore with checksums, PAUSE and STOP, the backup lock, status exit codes,
//! periodic, xpartialsync, --init-master / --init-slave, and bad configs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::ok;
use crate::support::{self, text, TempDir};

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
    for (transfer, compression) in [("copy", 0), ("rsync", 0), ("copy", 1), ("rsync", 1)] {
        let what = format!("transfer = {transfer}, compression = {compression}");
        let dir = TempDir::new("walmgr-x");
        let settings = |c: i32| format!("transfer = {transfer}\ncompression = {c}\n");
        let ini = fake_master(&dir, &settings(compression));
        let seg = "000000010000000000000007";
        let wal = dir.join("data/pg_wal").join(seg);
        let content: Vec<u8> = (0..1u32 << 18).flat_map(|i| (i % 1000).to_le_bytes()).collect();
        std::fs::write(&wal, &content).unwrap();
        ok(xarchive(&ini, seg), "xarchive");
        let stored = std::fs::read(dir.join("arch").join(seg)).unwrap();
        if compression == 1 {
            assert_eq!(stored[..2], [0x1f, 0x8b], "{what}: gzip file");
            assert!(stored.len() < content.len() / 4, "{what}: {} bytes stored", stored.len());
        } else {
            assert_eq!(stored, content, "{what}");
        }
        ok(xarchive(&ini, seg), "xarchive of an identical file");
        // The same content under the other compression setting is the same file too.
        fake_master(&dir, &settings(1 - compression));
        ok(xarchive(&ini, seg), "xarchive of an identical file, other compression");
        fake_master(&dir, &settings(compression));
        assert_eq!(std::fs::read(dir.join("arch").join(seg)).unwrap(), stored, "{what}: untouched");
        let sum = std::fs::read_to_string(dir.join("arch").join(format!("{seg}.sum"))).unwrap();
        assert!(sum.starts_with("crc32c=") && sum.contains("size=1048576"), "{what}: content size: {sum}");

        std::fs::write(&wal, vec![8u8; 1 << 20]).unwrap();
        let out = xarchive(&ini, seg);
        let code = out.status.code().unwrap();
        assert!(code != 0 && code < 126, "must fail with a code PostgreSQL retries: {code}");
        assert!(text(&out).1.contains("not overwriting"), "{}", text(&out).1);
        assert_eq!(std::fs::read(dir.join("arch").join(seg)).unwrap(), stored, "{what}");
        let names: Vec<String> = std::fs::read_dir(dir.join("arch"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into())
            .collect();
        assert_eq!(names.len(), 2, "{what}: only the file and its checksum: {names:?}");
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
    assert!(err.contains("host:") && err.contains("completed_wals") && err.lines().count() == 1, "{err}");
    let (code, err) = run("[walmgr]\nmaster_data = /tmp\ncompression = maybe\n", &["xarchive", "a", "b"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("compression") && err.contains("maybe") && err.lines().count() == 1, "{err}");
    let (code, err) = run("[walmgr]\nmaster_data = /tmp\n", &["boot"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("Action not available on current node."), "{err}");
    let (code, err) = run("[walmgr]\nslave_data = /tmp/x\n", &["xarchive", "a", "b"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("Action not available on current node."), "{err}");
    let (code, err) = run("[walmgr]\nslave_data = /tmp/x\nkeep_backups = many\n", &["xrotate"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("keep_backups"), "{err}");
    let (code, err) = run("[walmgr]\nmaster_data = /tmp\nuse_xlog_functions = sometimes\n", &["status"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("use_xlog_functions") && err.lines().count() == 1, "{err}");
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

    // A gzipped archive file is restored as the segment it was; damaged, it fails the same way.
    let gz = "000000010000000000000008";
    let content: Vec<u8> = (0..16384u32).flat_map(|i| (i % 300).to_le_bytes()).collect();
    std::fs::write(dir.join("data/pg_wal").join(gz), &content).unwrap();
    let master = fake_master(
        &dir,
        &format!("completed_wals = {}\ncompression = 1\n", dir.join("store/logs.complete").display()),
    );
    ok(xarchive(&master, gz), "xarchive with compression");
    let packed = std::fs::read(dir.join("store/logs.complete").join(gz)).unwrap();
    assert!(packed.starts_with(&[0x1f, 0x8b]) && packed.len() < content.len());
    ok(walmgr(&ini, &["xrestore", gz, "pg_wal/RECOVERYXLOG"]), "xrestore of a gzipped file");
    assert_eq!(std::fs::read(&restored).unwrap(), content);
    std::fs::remove_file(&restored).unwrap();
    let mut bad = packed.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x55;
    std::fs::write(dir.join("store/logs.complete").join(gz), &bad).unwrap();
    assert_eq!(walmgr(&ini, &["xrestore", gz, "pg_wal/RECOVERYXLOG"]).status.code(), Some(1));
    assert!(!restored.exists());
    // In archive recovery "not found" would end recovery at this segment: a failure must stop it
    // (exit above 125), for the slave's xrestore and for the master's fetch-back alike.
    std::fs::remove_file(dir.join("standby/standby.signal")).unwrap();
    std::fs::write(dir.join("standby/recovery.signal"), b"").unwrap();
    let out = walmgr(&ini, &["xrestore", gz, "pg_wal/RECOVERYXLOG"]);
    assert_eq!(out.status.code(), Some(255), "{:?}", text(&out));
    assert!(text(&out).1.contains("stopping recovery"));
    let out = walmgr(&master, &["xrestore", gz, dir.join("fetched").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(255), "{:?}", text(&out));
    assert!(!dir.join("fetched").exists());
    let out = walmgr(&master, &["xrestore", "00000001000000000000000A", dir.join("fetched").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "not found: {:?}", text(&out));
    let good = "00000001000000000000000B";
    std::fs::write(dir.join("data/pg_wal").join(good), &content).unwrap();
    ok(xarchive(&master, good), "xarchive");
    ok(walmgr(&master, &["xrestore", good, dir.join("fetched").to_str().unwrap()]), "master fetch-back");
    assert_eq!(std::fs::read(dir.join("fetched")).unwrap(), content);

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
fn account_switches_manage_ssh_keys_and_the_pgpass_line() {
    let dir = TempDir::new("walmgr-keys");
    let run = |args: &[&str]| support::skytools("walmgr").args(args).env("HOME", &dir.path).output().unwrap();
    let has_keygen = Command::new("ssh-keygen").arg("-?").output().is_ok();
    let public = if has_keygen {
        let out = ok(run(&["--ssh-keygen"]), "--ssh-keygen");
        assert!(out.starts_with("ssh-ed25519 "), "{out}");
        let public = std::fs::read_to_string(dir.join(".ssh/id_ed25519.pub")).unwrap();
        assert_eq!(ok(run(&["--ssh-keygen"]), "--ssh-keygen again"), public, "an existing key is kept");
        public
    } else {
        eprintln!("no ssh-keygen here, --ssh-keygen not tested");
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTheTest postgres@master\n".to_string()
    };

    std::fs::write(dir.join("key.pub"), &public).unwrap();
    ok(run(&["--ssh-add-key", dir.join("key.pub").to_str().unwrap()]), "--ssh-add-key");
    ok(run(&["--ssh-add-key", dir.join("key.pub").to_str().unwrap()]), "--ssh-add-key twice");
    let auth = dir.join(".ssh/authorized_keys");
    assert_eq!(std::fs::read_to_string(&auth).unwrap(), public, "added once");
    let keystr = public.split_whitespace().nth(1).unwrap();
    ok(run(&["--ssh-remove-key", keystr]), "--ssh-remove-key");
    assert_eq!(std::fs::read_to_string(&auth).unwrap(), "");

    std::fs::write(dir.join(".pgpass"), "other:5432:*:u:p\n").unwrap();
    std::fs::write(dir.join("pw"), "s3cret\n").unwrap();
    let ci = "host=db1 port=5433 user=repl";
    ok(run(&["--primary-conninfo", ci, "--add-password", dir.join("pw").to_str().unwrap()]), "--add-password");
    let pgpass = std::fs::read_to_string(dir.join(".pgpass")).unwrap();
    assert_eq!(pgpass, "db1:5433:replication:repl:s3cret\nother:5432:*:u:p\n");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(dir.join(".pgpass")).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    ok(run(&["--primary-conninfo", ci, "--remove-password"]), "--remove-password");
    assert_eq!(std::fs::read_to_string(dir.join(".pgpass")).unwrap(), "other:5432:*:u:p\n");
    assert_eq!(run(&["--remove-password"]).status.code(), Some(1), "needs --primary-conninfo");
}

#[test]
fn master_setup_creates_a_local_archive_and_edits_postgresql_conf() {
    let dir = TempDir::new("walmgr-setup");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("postgresql.conf"), "#archive_mode = off\t# needs restart\nwal_level = minimal\n")
        .unwrap();
    // What restore leaves in a standby that was booted and becomes a master.
    let auto = "# Do not edit this file manually!\nwork_mem = '8MB'\narchive_mode = 'off'\n";
    std::fs::write(data.join("postgresql.auto.conf"), auto).unwrap();
    let ini = dir.join("wal-master.ini");
    std::fs::write(
        &ini,
        format!(
            "[walmgr]\nmaster_db = host={d} port=1 dbname=x\nmaster_data = {data}\nwalmgr_data = {d}/ship\n\
             completed_wals = %(walmgr_data)s/logs.complete\npartial_wals = %(walmgr_data)s/logs.partial\n\
             full_backup = %(walmgr_data)s/data.master\n",
            d = dir.path.display(),
            data = data.display()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| support::skytools("walmgr3").arg(&ini).args(args).output().unwrap();
    let out = ok(run(&["setup", "-n"]), "setup -n");
    assert!(out.contains("archive_mode = 'on'"), "{out}");
    assert!(!dir.join("ship").exists(), "-n changes nothing");
    assert!(std::fs::read_to_string(data.join("postgresql.conf")).unwrap().contains("minimal"));
    assert_eq!(std::fs::read_to_string(data.join("postgresql.auto.conf")).unwrap(), auto);

    let out = ok(run(&["setup"]), "setup without a reachable server");
    assert!(out.contains("server not reachable"), "{out}");
    assert!(dir.join("ship/logs.complete").is_dir() && dir.join("ship/logs.partial").is_dir());
    let conf = std::fs::read_to_string(data.join("postgresql.conf")).unwrap();
    assert!(conf.contains("\narchive_mode = 'on'\n") && conf.contains("\nwal_level = 'replica'\n"), "{conf}");
    assert!(out.contains("removing archive_mode = 'off'"), "{out}");
    assert_eq!(
        std::fs::read_to_string(data.join("postgresql.auto.conf")).unwrap(),
        "# Do not edit this file manually!\nwork_mem = '8MB'\n",
        "the override is gone, the rest stays"
    );
    let cmd = conf.lines().find(|l| l.starts_with("archive_command")).unwrap();
    assert!(
        cmd.contains(" walmgr ") && cmd.contains(&*ini.to_string_lossy()) && cmd.ends_with("xarchive %p %f'"),
        "{cmd}"
    );
}
