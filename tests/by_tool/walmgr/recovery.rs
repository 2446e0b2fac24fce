//! Getting data back by other ways than a standby: the master's own restore from its archive,
//! sync from a master that died, and backups of a master whose pg_wal and log directories are
//! links (keep_symlinks).

use super::{ok, Rig, Started};
use crate::support::{self, bindir, give_to_server_user, text, wait_for};

#[test]
fn restore_on_the_master_prepares_a_copy_that_recovers_from_the_archive() {
    // Compressed archive: the fetched-back segments are decompressed and verified.
    // use_xlog_functions = 0 is accepted; sync still ships by the server's write position.
    let rig = Rig::with(0, "compression = 1\nuse_xlog_functions = 0\n", |_| String::new());
    rig.sql("create table t (id int)");
    rig.sql("insert into t select generate_series(1, 50)");
    ok(rig.run(&["backup"]), "backup");
    rig.sql("insert into t select generate_series(51, 120)");
    rig.switch_and_wait();
    // These rows are only in the partially synced copy of the segment being written.
    rig.sql("insert into t select generate_series(121, 130)");
    ok(rig.run(&["sync"]), "sync");

    let out = rig.run(&["restore"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("restore SET DATADIR"), "{:?}", text(&out));
    // cleanup from the master: a segment older than the backup goes, what it needs stays.
    let old = "000000010000000000000000";
    std::fs::write(rig.completed().join(old), b"older than the backup").unwrap();
    std::fs::write(rig.completed().join(format!("{old}.sum")), b"crc32c=00000000 size=21\n").unwrap();
    ok(rig.run(&["cleanup"]), "cleanup on the master");
    assert!(!rig.completed().join(old).exists() && !rig.completed().join(format!("{old}.sum")).exists());
    let label = std::fs::read_to_string(rig.store.join("data.master/backup_label")).unwrap();
    let first_wal = label.split("(file ").nth(1).unwrap().split(')').next().unwrap();
    assert!(rig.completed().join(first_wal).exists(), "{first_wal} is needed by the backup");
    let copy = rig.master.base().join("recovered");
    let out = rig.run(&["restore", "data.master", copy.to_str().unwrap()]);
    assert!(out.status.success() && text(&out).1.contains("is ready"), "{:?}", text(&out));
    assert!(copy.join("recovery.signal").exists() && !copy.join("standby.signal").exists());
    assert!(!copy.join("postmaster.pid").exists(), "prepared, not started");
    assert!(rig.store.join("data.master").exists(), "the set stays in the archive");
    let auto = std::fs::read_to_string(copy.join("postgresql.auto.conf")).unwrap();
    assert!(auto.contains("wal-master.ini xrestore %f") && auto.contains("archive_mode = 'off'"), "{auto}");

    let server = Started::start(&rig, &copy);
    assert!(
        wait_for(60.0, || server.query("select (not pg_is_in_recovery())::int::bigint") == Some(1)),
        "archive recovery did not finish:\n{}",
        server.log()
    );
    assert_eq!(server.query("select count(*) from t"), Some(130), "{}", server.log());
    assert!(server.log().contains("restored from the partially synced copy"), "{}", server.log());

    // A second restore into the same place keeps what is there.
    drop(server);
    ok(rig.run(&["restore", "data.master", copy.to_str().unwrap()]), "restore again");
    assert!(rig.master.base().join("recovered.0/PG_VERSION").exists(), "the previous copy is kept aside");
}

#[test]
fn keep_symlinks_keeps_linked_wal_and_log_directories_as_links() {
    let rig = Rig::new(0);
    let base = rig.master.base().to_path_buf();
    // The master's pg_wal and log directory live elsewhere, linked from the data directory.
    rig.master.stop();
    let data = rig.master.datadir();
    std::fs::rename(data.join("pg_wal"), base.join("master_wal")).unwrap();
    std::os::unix::fs::symlink(base.join("master_wal"), data.join("pg_wal")).unwrap();
    std::fs::create_dir(base.join("master_log")).unwrap();
    give_to_server_user(&base.join("master_log"));
    std::os::unix::fs::symlink(base.join("master_log"), data.join("log")).unwrap();
    rig.master.start_again();
    rig.sql("create table t (id int)");
    rig.sql("insert into t select generate_series(1, 40)");
    let set = rig.store.join("data.master");

    ok(rig.run(&["backup"]), "backup with keep_symlinks (default 1)");
    assert_eq!(std::fs::read_link(set.join("pg_wal")).unwrap(), base.join("master_wal"));
    assert_eq!(std::fs::read_link(set.join("log")).unwrap(), base.join("master_log"));
    // On a real slave host that path is free: point the link at one that is free here.
    std::fs::remove_file(set.join("pg_wal")).unwrap();
    std::os::unix::fs::symlink(base.join("slave_wal"), set.join("pg_wal")).unwrap();
    ok(rig.slave(&["restore"]), "restore");
    assert_eq!(std::fs::read_link(rig.standby.join("pg_wal")).unwrap(), base.join("slave_wal"));
    assert!(base.join("slave_wal/archive_status").is_dir(), "restore creates the link's target");
    assert_eq!(std::fs::read_link(rig.standby.join("log")).unwrap(), base.join("master_log"));
    rig.sql("insert into t select generate_series(41, 60)");
    let seg = rig.switch_and_wait();
    assert!(
        wait_for(60.0, || rig.standby_query("select count(*) from t") == Some(60)),
        "standby with a linked pg_wal did not replay:\n{}",
        rig.standby_log()
    );
    assert!(base.join("slave_wal").join(&seg).exists(), "the standby's WAL goes through the link");

    // A link to a directory that holds WAL (here the master's own) is never used or emptied.
    ok(rig.run(&["backup"]), "second backup");
    let out = ok(rig.slave(&["restore"]), "restore with the master's pg_wal path");
    assert!(out.contains("which is not empty: left alone"), "{out}");
    assert!(rig.standby.join("pg_wal").is_dir() && !rig.standby.join("pg_wal").is_symlink());
    let current = rig.sql("select pg_walfile_name(pg_current_wal_lsn())");
    assert!(base.join("master_wal").join(&current).exists(), "the master's WAL is untouched");
    assert!(
        wait_for(60.0, || rig.standby_query("select count(*) from t") == Some(60)),
        "standby did not replay:\n{}",
        rig.standby_log()
    );

    // keep_symlinks = 0: plain directories in the set.
    ok(rig.run(&["backup", "--set", "keep_symlinks=0"]), "backup with keep_symlinks = 0");
    for dir in ["pg_wal", "log"] {
        let p = set.join(dir);
        assert!(p.is_dir() && !p.is_symlink(), "{dir} must be a plain directory");
    }
    assert!(std::fs::read_dir(set.join("log")).unwrap().next().is_none(), "the master's logs stay there");
}

#[test]
fn sync_after_the_master_died_ships_the_wal_left_in_its_pg_wal() {
    let rig = Rig::with(0, &format!("master_bin = {}\n", bindir().display()), |_| String::new());
    rig.sql("create table t (id int)");
    rig.sql("insert into t select generate_series(1, 100)");
    ok(rig.run(&["backup"]), "backup");
    ok(rig.slave(&["restore"]), "restore");
    assert!(wait_for(60.0, || rig.standby_query("select count(*) from t") == Some(100)), "{}", rig.standby_log());
    // Rows in the segment being written when the master dies: never archived, never synced.
    rig.sql("insert into t select generate_series(101, 170)");
    let current = rig.sql("select pg_walfile_name(pg_current_wal_lsn())");
    let mut crash = support::pg_command("pg_ctl");
    crash.arg("-D").arg(rig.master.datadir()).args(["-m", "immediate", "stop"]);
    assert!(crash.output().unwrap().status.success());
    assert!(!rig.completed().join(&current).exists(), "{current} must not be archived");
    assert!(!rig.store.join("logs.partial").join(&current).exists());

    // Its disk is still readable: sync ships what pg_wal holds past the last checkpoint.
    let out = ok(rig.run(&["sync"]), "sync with the master down");
    assert!(out.contains("the master is not running") && out.contains(&current), "{out}");
    let shipped = std::fs::read(rig.store.join("logs.partial").join(&current)).unwrap();
    assert_eq!(shipped, std::fs::read(rig.master.datadir().join("pg_wal").join(&current)).unwrap());
    // Recycled or pre-allocated files with later names are not shipped.
    let partials: Vec<String> = std::fs::read_dir(rig.store.join("logs.partial"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(partials.iter().all(|p| p.as_str() <= current.as_str()), "{partials:?} after {current}");

    ok(rig.slave(&["boot"]), "boot");
    assert!(
        wait_for(60.0, || rig.standby_query("select (not pg_is_in_recovery())::int::bigint") == Some(1)),
        "standby not promoted:\n{}",
        rig.standby_log()
    );
    assert_eq!(rig.standby_query("select count(*) from t"), Some(170), "{}", rig.standby_log());
}
