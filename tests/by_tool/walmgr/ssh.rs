//! walmgr to a slave reached over ssh, for real: a throw-away sshd (its own host key, an
//! authorized_keys holding one generated key, a free port on 127.0.0.1) runs as the server user,
//! and the master's storage is `127.0.0.1:/path`, so archiving, setup, the backup lock, the base
//! backup, listbackups, the master's restore (fetching segments back) and partial sync all go
//! through rsync and ssh to that sshd.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{free_port, ok, Rig, Started};
use crate::support::{give_to_server_user, is_root, text, wait_for, TempDir};

const SSHD: &str = "/usr/sbin/sshd";

/// An sshd of our own, stopped on drop.
struct Sshd {
    dir: TempDir,
    port: u16,
}

impl Sshd {
    fn start() -> Sshd {
        assert!(
            Path::new(SSHD).exists(),
            "{SSHD} missing: packaging/install-deps.sh installs openssh-server for this test"
        );
        let dir = TempDir::new("walmgr-sshd");
        for key in ["host_key", "client_key"] {
            let out = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(dir.join(key))
                .output()
                .unwrap();
            assert!(out.status.success(), "ssh-keygen: {:?}", text(&out));
        }
        std::fs::copy(dir.join("client_key.pub"), dir.join("authorized_keys")).unwrap();
        let port = free_port();
        std::fs::write(
            dir.join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nAuthorizedKeysFile {d}/authorized_keys\n\
                 PidFile {d}/sshd.pid\nUsePAM no\nStrictModes no\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n",
                d = dir.path.display()
            ),
        )
        .unwrap();
        // It runs as the user that logs in through it (no privilege separation needed then).
        give_to_server_user(&dir.path);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", SSHD]);
            c
        } else {
            Command::new(SSHD)
        };
        let out = cmd.arg("-f").arg(dir.join("sshd_config")).arg("-E").arg(dir.join("sshd.log")).output().unwrap();
        assert!(out.status.success(), "sshd did not start: {:?}", text(&out));
        let sshd = Sshd { dir, port };
        assert!(wait_for(10.0, || sshd.log().contains("Server listening")), "sshd: {}", sshd.log());
        sshd.spawn_reaper();
        sshd
    }

    /// Stops sshd if this test process dies without running Drop (killed by a timeout).
    fn spawn_reaper(&self) {
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; [ -f {d}/sshd.pid ] && kill $(cat {d}/sshd.pid)",
            pid = std::process::id(),
            d = self.dir.path.display()
        );
        let mut c = Command::new("sh");
        c.args(["-c", &script]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut c, 0);
        // Never waited for on purpose: it outlives us and is reaped by init.
        #[allow(clippy::zombie_processes)]
        c.spawn().expect("starting the sshd reaper");
    }

    /// The master's `ssh_options`: this port and key, no known_hosts file touched.
    fn ssh_options(&self) -> String {
        format!(
            "-p {} -i {} -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR",
            self.port,
            self.dir.join("client_key").display()
        )
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default()
    }

    fn logins(&self) -> usize {
        self.log().matches("Accepted publickey").count()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        if let Some(pid) = std::fs::read_to_string(self.dir.join("sshd.pid")).ok().and_then(|p| p.trim().parse().ok()) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM);
        }
    }
}

fn remote(store: &Path, sub: &str) -> String {
    format!("127.0.0.1:{}", store.join(sub).display())
}

#[test]
fn archive_backup_and_restore_through_rsync_over_ssh() {
    let sshd = Sshd::start();
    let storage = |store: &Path| {
        Some(format!(
            "slave = 127.0.0.1\ncompleted_wals = {}\npartial_wals = {}\nfull_backup = {}\nconfig_backup = {}\n",
            remote(store, "logs.complete"),
            remote(store, "logs.partial"),
            remote(store, "data.master"),
            remote(store, "config.backup")
        ))
    };
    // Compressed: the master gzips, rsync carries the file, xreceive checks the content over ssh.
    let master_extra = format!("compression = 1\nssh_options = {}\n", sshd.ssh_options());
    // Setup already ran `setup` on the slave through ssh.
    let rig = Rig::build(0, storage, &master_extra, |_| String::new());
    assert!(sshd.logins() >= 1, "setup did not go through ssh: {}", sshd.log());
    assert!(rig.completed().is_dir() && rig.store.join("logs.partial").is_dir());

    rig.sql("create table t (id int)");
    rig.sql("insert into t select generate_series(1, 100)");
    // A tablespace goes over rsync into tblspc/<oid> of the set.
    rig.tablespace_with_rows();
    let logins = sshd.logins();
    let seg = rig.switch_and_wait();
    assert!(sshd.logins() > logins, "archiving did not go through ssh");
    let packed = std::fs::read(rig.completed().join(&seg)).unwrap();
    assert!(packed.starts_with(&[0x1f, 0x8b]), "{seg} not gzipped");
    let leftovers: Vec<PathBuf> = std::fs::read_dir(rig.completed())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    // Base backup: lock, rotation, rsync of the data directory, labels, purge, unlock over ssh.
    let out = ok(rig.run(&["backup"]), "backup over ssh");
    assert!(out.contains("Full backup successful"), "{out}");
    assert!(rig.store.join("data.master/backup_label").is_file() && rig.store.join("data.master/PG_VERSION").is_file());
    assert!(!rig.completed().join("BACKUPLOCK").exists(), "lock released");
    assert!(rig.store.join("config.backup/pg_hba.conf").is_file(), "config files sent over ssh");
    let oid = rig.sql("select oid from pg_tablespace where spcname = 'ts1'");
    let copied = rig.store.join("data.master/tblspc").join(&oid);
    assert!(copied.read_dir().is_ok_and(|mut d| d.next().is_some()), "tablespace {oid} not in the set");
    let listing = ok(rig.run(&["listbackups"]), "listbackups over ssh");
    assert!(listing.contains("data.master"), "{listing}");
    let old = rig.completed().join("000000010000000000000000");
    std::fs::write(&old, b"older than the backup").unwrap();
    ok(rig.run(&["cleanup"]), "cleanup over ssh");
    assert!(!old.exists(), "the slave's cleanup ran");

    rig.sql("insert into t select generate_series(101, 200)");
    rig.switch_and_wait();
    // The master's own restore: the set and then every segment come back over ssh.
    let copy = rig.master.base().join("recovered");
    ok(rig.run(&["restore", "data.master", copy.to_str().unwrap()]), "restore on the master over ssh");
    let server = Started::start(&rig, &copy);
    assert!(
        wait_for(60.0, || server.query("select (not pg_is_in_recovery())::int::bigint") == Some(1)),
        "archive recovery over ssh did not finish:\n{}",
        server.log()
    );
    assert_eq!(server.query("select count(*) from t"), Some(200), "{}", server.log());
    assert_eq!(server.query("select count(*) from in_ts"), Some(25), "{}", server.log());
    drop(server);

    ok(rig.slave(&["restore"]), "restore");
    assert!(
        wait_for(60.0, || rig.standby_query("select count(*) from t") == Some(200)),
        "standby did not replay the WAL that came over ssh:\n{}",
        rig.standby_log()
    );

    // Partial sync over ssh: rows that never reach a finished segment.
    rig.sql("insert into t select generate_series(201, 230)");
    ok(rig.run(&["sync"]), "sync over ssh");
    let current = rig.sql("select pg_walfile_name(pg_current_wal_lsn())");
    assert!(rig.store.join("logs.partial").join(&current).exists(), "no partial copy of {current}");
    let mut stop = crate::support::pg_command("pg_ctl");
    stop.arg("-D").arg(rig.master.datadir()).args(["-m", "immediate", "stop"]);
    assert!(stop.output().unwrap().status.success());
    ok(rig.slave(&["boot"]), "boot");
    assert!(
        wait_for(60.0, || rig.standby_query("select (not pg_is_in_recovery())::int::bigint") == Some(1)),
        "standby not promoted:\n{}",
        rig.standby_log()
    );
    assert_eq!(rig.standby_query("select count(*) from t"), Some(230));
    assert_eq!(rig.standby_query("select count(*) from in_ts"), Some(25));
    let link = std::fs::read_link(rig.standby.join("pg_tblspc").join(&oid)).unwrap();
    assert!(link.starts_with(&rig.standby), "tablespace {oid} of the standby is {}", link.display());
}
