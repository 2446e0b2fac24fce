//! data_maintainer3 through the real binary, and with it the shared script framework: config
//! errors, --ini, -V, the run loop and stats line, daemon mode with pidfile, -r/-s/-k, signals.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use crate::support::{skytools, text, wait_for, Db, TempDir};

fn write_ini(dir: &TempDir, body: &str) -> PathBuf {
    let path = dir.join("maint.ini");
    std::fs::write(&path, format!("[data_maintainer3]\n{body}")).unwrap();
    path
}

fn setup(db: &Db, rows: i32) {
    db.psql(&format!(
        "create table items (id int primary key, fixed bool not null default false, note text);
         insert into items (id) select g from generate_series(1, {rows}) g;
         create table runs (what text, n int);"
    ));
}

fn fixed_count(db: &Db) -> i64 {
    db.psql("select count(*) from items where fixed").parse().unwrap()
}

#[test]
fn updates_every_row_of_the_key_query_in_chunks() {
    let db = Db::new();
    setup(&db, 250);
    let dir = TempDir::new("dm");
    let ini = write_ini(
        &dir,
        &format!(
            "dbread = {c}\ndbwrite = {c}\nsql_get_pk_list = select id, 'it''s' as note from items order by id\n\
             sql_modify = update items set fixed = true, note = %%(note)s where id = %%(id)s\nfetch_count = 100\n\
             sql_before_run = select 7 as seven\nsql_after_run = insert into runs values ('after', %%(count)s::int + %%(seven)s::int)\n",
            c = db.connstr()
        ),
    );
    let out = skytools("data_maintainer3").arg(&ini).output().unwrap();
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(fixed_count(&db), 250);
    assert_eq!(db.psql("select count(*) from items where note = 'it''s'"), "250");
    assert_eq!(db.psql("select n from runs where what = 'after'"), "257");
    assert!(stderr.contains("--- Total count: 250 duration:"), "{stderr}");
    assert!(stderr.lines().any(|l| l.contains(" INFO {count: 250, duration: ")), "stats line: {stderr}");
}

#[test]
fn reads_keys_from_a_csv_file() {
    let db = Db::new();
    setup(&db, 10);
    let dir = TempDir::new("dm");
    std::fs::write(dir.join("keys.csv"), "id;note\n2;\"a;b\"\n5;\"say \"\"hi\"\"\"\n").unwrap();
    let ini = write_ini(
        &dir,
        &format!(
            "fileread = {}\ncsv_delimiter = ;\ndbwrite = {}\nsql_modify = update items set fixed = true, note = %%(note)s where id = %%(id)s::int\n",
            dir.join("keys.csv").display(),
            db.connstr()
        ),
    );
    let out = skytools("data_maintainer").arg(&ini).output().unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(
        db.psql("select string_agg(id || '=' || note, ',' order by id) from items where fixed"),
        "2=a;b,5=say \"hi\""
    );
}

#[test]
fn a_failing_chunk_is_rolled_back_whole_and_on_crash_runs() {
    let db = Db::new();
    setup(&db, 30);
    let dir = TempDir::new("dm");
    let ini = write_ini(
        &dir,
        &format!(
            "dbread = {c}\ndbwrite = {c}\nsql_get_pk_list = select id from items order by id\n\
             sql_modify = update items set fixed = true where id = %%(id)s and 1 / (25 - %%(id)s) > -1\n\
             fetch_count = 10\nautocommit = 0\nsql_on_crash = insert into runs values ('crash', 0)\n",
            c = db.connstr()
        ),
    );
    let out = skytools("data_maintainer3").arg(&ini).output().unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("division by zero"), "the server's message is shown: {stderr}");
    assert_eq!(fixed_count(&db), 20, "chunks 1-2 committed, chunk 3 (rows 21-30) rolled back whole");
    assert_eq!(db.psql("select count(*) from runs where what = 'crash'"), "1");
}

#[test]
fn config_mistakes_are_one_line_errors() {
    let dir = TempDir::new("dm");
    let out = skytools("data_maintainer3").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("need config file"));
    let ini = write_ini(&dir, "dbread = dbname=x\nsql_get_pk_list = select 1\nsql_modify = select 1\n");
    let out = skytools("data_maintainer3").arg(&ini).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out).1;
    assert!(err.contains("maint.ini [data_maintainer3] dbwrite: config value not set"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let ini = write_ini(&dir, "dbwrite = dbname=x\nfileread = /x\nsql_modify = select 1\nfetch_count = lots\n");
    let err = text(&skytools("data_maintainer3").arg(&ini).output().unwrap()).1;
    assert!(err.contains("[data_maintainer3] fetch_count: bad integer value 'lots'"), "{err}");
    let out = skytools("data_maintainer3").arg(&ini).arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "unknown switch");
}

#[test]
fn ini_and_version_switches() {
    let out = skytools("data_maintainer3").args(["--ini", "--set", "fetch_count=5"]).output().unwrap();
    let (stdout, _) = text(&out);
    assert!(out.status.success());
    assert!(stdout.starts_with("[data_maintainer3]"));
    assert!(stdout.contains("\nfetch_count = 5\n") && !stdout.contains("fetch_count = 100"), "{stdout}");
    let out = skytools("data_maintainer3").arg("-V").output().unwrap();
    assert!(text(&out).0.starts_with("data_maintainer version "), "{:?}", text(&out));
}

/// A looping job with pidfile and logfile, for the daemon tests.
fn daemon_ini(db: &Db, dir: &TempDir, extra: &str) -> (PathBuf, PathBuf, PathBuf) {
    let pidfile = dir.join("dm.pid");
    let logfile = dir.join("dm.log");
    let ini = write_ini(
        dir,
        &format!(
            "dbread = {c}\ndbwrite = {c}\nsql_get_pk_list = select id from items where not fixed order by id\n\
             sql_modify = update items set fixed = true where id = %%(id)s\nloop_delay = 0.2\n\
             pidfile = {}\nlogfile = {}\n{extra}",
            pidfile.display(),
            logfile.display(),
            c = db.connstr()
        ),
    );
    (ini, pidfile, logfile)
}

/// Gone, or a zombie waiting for an init that may not reap it (containers).
fn process_gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

fn log_of(path: &PathBuf) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn daemon_mode_pidfile_reload_and_graceful_stop() {
    let db = Db::new();
    setup(&db, 5);
    let dir = TempDir::new("dm");
    let (ini, pidfile, logfile) = daemon_ini(&db, &dir, "");
    let out = skytools("data_maintainer3").arg(&ini).arg("-d").output().unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    assert!(wait_for(10.0, || fixed_count(&db) == 5), "daemon does the work");

    let second = skytools("data_maintainer3").arg(&ini).arg("-d").output().unwrap();
    assert_eq!(second.status.code(), Some(1));
    assert!(text(&second).1.contains("another process running"), "{:?}", text(&second));

    db.psql("insert into items (id) values (6)");
    assert!(wait_for(10.0, || fixed_count(&db) == 6), "keeps looping");

    assert!(skytools("data_maintainer3").arg(&ini).arg("-r").status().unwrap().success());
    assert!(wait_for(10.0, || log_of(&logfile).contains("Config reloaded")), "{}", log_of(&logfile));

    assert!(skytools("data_maintainer3").arg(&ini).arg("-s").status().unwrap().success());
    assert!(wait_for(10.0, || !pidfile.exists()), "pidfile removed at exit");
    assert!(wait_for(10.0, || process_gone(pid)), "process gone");
    let log = log_of(&logfile);
    assert!(log.contains("Got SIGINT"), "{log}");
}

#[test]
fn daemon_needs_a_pidfile_and_replaces_a_stale_one() {
    let db = Db::new();
    setup(&db, 1);
    let dir = TempDir::new("dm");
    let ini = write_ini(&dir, &format!("dbwrite = {}\nfileread = /x\nsql_modify = select 1\n", db.connstr()));
    let out = skytools("data_maintainer3").arg(&ini).arg("-d").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("daemon needs pidfile"), "{:?}", text(&out));
    // A stale pidfile is replaced; a failing round is logged and retried after exception_sleep
    // instead of killing a looping daemon.
    let (ini, pidfile, logfile) = daemon_ini(&db, &dir, "fileread = /nonexistent/keys.csv\nexception_sleep = 0.2\n");
    std::fs::write(&pidfile, "999999999\n").unwrap();
    let out = skytools("data_maintainer3").arg(&ini).arg("-d").output().unwrap();
    assert!(out.status.success(), "start-up itself works: {:?}", text(&out));
    assert!(wait_for(10.0, || std::fs::read_to_string(&pidfile).is_ok_and(|p| p.trim() != "999999999")));
    assert!(
        wait_for(10.0, || log_of(&logfile).matches("crashed: fileread /nonexistent/keys.csv").count() >= 2),
        "{}",
        log_of(&logfile)
    );
    assert!(skytools("data_maintainer3").arg(&ini).arg("-k").status().unwrap().success());
    assert!(wait_for(10.0, || !pidfile.exists()), "TERM stops it and the pidfile goes");
}

#[test]
fn sigint_stops_between_rows_and_term_stops_promptly() {
    let db = Db::new();
    setup(&db, 100);
    let dir = TempDir::new("dm");
    let (ini, _, logfile) = daemon_ini(&db, &dir, "fetch_count = 1\nsql_throttle = select 0.1\n");
    let mut child = skytools("data_maintainer3").arg(&ini).stderr(Stdio::null()).spawn().unwrap();
    assert!(wait_for(10.0, || fixed_count(&db) >= 2));
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful stop exits 0: {status}");
    let done = fixed_count(&db);
    assert!(done < 100, "stopped before the end ({done})");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(fixed_count(&db), done, "nothing runs after the stop");
    assert!(log_of(&logfile).contains(&format!("--- Total count: {done} duration")), "{}", log_of(&logfile));

    let mut child = skytools("data_maintainer3").arg(&ini).stderr(Stdio::null()).spawn().unwrap();
    assert!(wait_for(10.0, || fixed_count(&db) > done));
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "TERM exits 1 like the originals");
}

#[test]
fn quiet_keeps_warnings_only_and_verbose_adds_debug() {
    let db = Db::new();
    setup(&db, 3);
    let dir = TempDir::new("dm");
    let ini = write_ini(
        &dir,
        &format!(
            "dbread = {c}\ndbwrite = {c}\nsql_get_pk_list = select id from items\nsql_modify = select 1\n\
             sql_throttle = select 0.01\nfetch_count = 100\n",
            c = db.connstr()
        ),
    );
    let quiet = text(&skytools("data_maintainer3").arg(&ini).arg("-q").output().unwrap()).1;
    assert!(!quiet.contains(" INFO "), "{quiet}");
    let verbose = text(&skytools("data_maintainer3").arg(&ini).arg("-v").output().unwrap()).1;
    assert!(verbose.contains(" INFO --- Total count: 3"), "{verbose}");
    assert!(verbose.contains(" DEBUG throttling for 0.01 s"), "{verbose}");
}

#[test]
fn two_daemons_started_at_once_leave_exactly_one_running() {
    let db = Db::new();
    setup(&db, 1);
    let dir = TempDir::new("dm");
    let (ini, pidfile, _) = daemon_ini(&db, &dir, "");
    for _ in 0..3 {
        let a = skytools("data_maintainer3").arg(&ini).arg("-d").stderr(Stdio::piped()).spawn().unwrap();
        let b = skytools("data_maintainer3").arg(&ini).arg("-d").stderr(Stdio::piped()).spawn().unwrap();
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let codes = [a.status.code(), b.status.code()];
        assert!(codes.contains(&Some(0)) && codes.contains(&Some(1)), "one wins, one refuses: {codes:?}");
        let loser = if a.status.success() { &b } else { &a };
        assert!(String::from_utf8_lossy(&loser.stderr).contains("another process running"), "{loser:?}");
        let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
        assert!(!process_gone(pid), "the pidfile names the live winner");
        assert!(skytools("data_maintainer3").arg(&ini).arg("-s").status().unwrap().success());
        assert!(wait_for(10.0, || !pidfile.exists()));
    }
}
