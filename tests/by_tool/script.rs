//! The shared script framework against real files and a real server: Skytools ini files,
//! interpolation and built-ins, typed getters and their errors, connect strings, pidfiles.

use std::path::Path;

use skytools::script::config::Config;
use skytools::script::connstr::ConnStr;
use skytools::script::daemon::{PidState, Pidfile};
use skytools::script::db;

use crate::support::{Db, TempDir};

const LONDISTE_INI: &str = "\
[DEFAULT]
base_dir = /var/lib/skytools

[londiste3]
job_name = l3_%(node)s
node = branch1
db = dbname=%(node)s host=127.0.0.1
queue_name = replika
logfile = %(base_dir)s/log/%(job_name)s.log
pidfile = %(base_dir)s/pid/%(job_name)s.pid
loop_delay = 0.5
parallel_copies = 2
handler_conf = a:1, b
ignored = %%(not_interpolated)s
use_skylog = off
";

fn write(dir: &TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn loads_a_skytools_ini_with_interpolation_and_builtins() {
    let dir = TempDir::new("ini");
    let path = write(&dir, "replica.ini", LONDISTE_INI);
    let cfg = Config::load(&path, &["londiste3", "londiste"], &[]).unwrap();
    assert_eq!(cfg.section(), "londiste3");
    assert_eq!(cfg.get("job_name").unwrap(), "l3_branch1");
    assert_eq!(cfg.get("logfile").unwrap(), "/var/lib/skytools/log/l3_branch1.log");
    assert_eq!(cfg.get("ignored").unwrap(), "%(not_interpolated)s");
    assert_eq!(cfg.get_float("loop_delay", None).unwrap(), 0.5);
    assert_eq!(cfg.get_int("parallel_copies", Some(1)).unwrap(), 2);
    assert!(!cfg.get_bool("use_skylog", Some(true)).unwrap());
    assert_eq!(cfg.get_list("handler_conf", &[]).unwrap(), vec!["a:1", "b"]);
    assert_eq!(cfg.get("service_name").unwrap(), "londiste3");
    assert_eq!(cfg.get("config_dir").unwrap(), dir.path.to_string_lossy());
    assert!(!cfg.get("host_name").unwrap().is_empty());
}

#[test]
fn job_name_defaults_to_the_file_name_and_new_section_name_is_accepted() {
    let dir = TempDir::new("ini");
    let path = write(&dir, "myjob.ini", "[londiste]\ndb = dbname=x\nlog = %(job_name)s.log\n");
    let cfg = Config::load(&path, &["londiste3", "londiste"], &[]).unwrap();
    assert_eq!(cfg.section(), "londiste");
    assert_eq!(cfg.get("log").unwrap(), "myjob.log");
}

#[test]
fn set_overrides_win_and_reload_keeps_removed_keys() {
    let dir = TempDir::new("ini");
    let path = write(&dir, "j.ini", "[pgqd]\nticker_period = 1\nmaint_period = 120\n");
    let mut cfg = Config::load(&path, &["pgqd"], &[("maint_period".into(), "7".into())]).unwrap();
    assert_eq!(cfg.get_interval("maint_period", None).unwrap(), 7.0);
    std::fs::write(&path, "[pgqd]\nmaint_period = 60\n").unwrap();
    cfg.reload().unwrap();
    assert_eq!(cfg.get_interval("ticker_period", None).unwrap(), 1.0, "removed key keeps its value");
    assert_eq!(cfg.get_interval("maint_period", None).unwrap(), 7.0, "override still wins");
}

fn load_err(dir: &TempDir, text: &str) -> String {
    let path = write(dir, "bad.ini", text);
    match Config::load(&path, &["walmgr"], &[]) {
        Err(e) => format!("{e:#}"),
        Ok(cfg) => format!("{:#}", cfg.get_int("count", None).unwrap_err()),
    }
}

#[test]
fn config_errors_are_one_line_and_name_file_section_and_key() {
    let dir = TempDir::new("ini");
    let missing = Config::load(Path::new("/nonexistent/x.ini"), &["walmgr"], &[]).unwrap_err();
    assert!(format!("{missing:#}").contains("config file not found: /nonexistent/x.ini"));
    let cases = [
        ("[other]\nx = 1\n", "no section 'walmgr'"),
        ("[walmgr]\nx = 1\n", "bad.ini [walmgr] count: config value not set"),
        ("[walmgr]\ncount = many\n", "bad.ini [walmgr] count: bad integer value 'many'"),
        ("[walmgr]\ncount = %(nope)s\n", "bad.ini [walmgr] count: references unknown key %(nope)s"),
        ("[walmgr]\n  continuation\n", "bad.ini:2"),
    ];
    for (text, expected) in cases {
        let e = load_err(&dir, text);
        assert!(e.contains(expected), "{expected:?} not in {e:?}");
        assert!(!e.contains('\n'), "one line: {e}");
    }
}

#[test]
fn connects_with_a_skytools_connect_string() {
    let db = Db::new();
    let cs = ConnStr::parse(&db.connstr()).unwrap();
    let mut client = db::connect(&cs, "unit-test-job").unwrap();
    let row = client.query_one("select current_database()::text, current_setting('application_name')", &[]).unwrap();
    assert_eq!(row.get::<_, String>(0), db.name);
    assert_eq!(row.get::<_, String>(1), "unit-test-job");
}

#[test]
fn errors_from_the_server_carry_its_message_and_are_classified() {
    let db = Db::new();
    let mut client = db.client();
    let e = client.batch_execute("select * from no_such_table").unwrap_err();
    assert!(db::error_text(&e).contains("relation \"no_such_table\" does not exist"), "{}", db::error_text(&e));
    assert!(!db::is_retryable(&e));
    let cs = ConnStr::parse(&format!("{} dbname=no_such_db_here", db.connstr())).unwrap();
    let Err(e) = db::connect(&cs, "x") else { panic!("connected to a missing database") };
    assert!(format!("{e:#}").contains("no_such_db_here"), "{e:#}");
}

#[test]
fn managed_connection_reconnects_after_the_backend_dies() {
    let db = Db::new();
    let cs = ConnStr::parse(&db.connstr()).unwrap();
    let mut conn = db::ManagedConn::new(cs, "managed-test", std::time::Duration::from_secs(3600));
    let pid: i32 = conn.get().unwrap().query_one("select pg_backend_pid()", &[]).unwrap().get(0);
    db.client().execute("select pg_terminate_backend($1)", &[&pid]).unwrap();
    let err = conn.get().unwrap().query_one("select 1", &[]).unwrap_err();
    assert!(db::is_retryable(&err), "terminated backend counts as retryable: {}", db::error_text(&err));
    let pid2: i32 = conn.get().unwrap().query_one("select pg_backend_pid()", &[]).unwrap().get(0);
    assert_ne!(pid, pid2, "a new backend after reconnect");
}

#[test]
fn pidfile_refuses_a_live_owner_and_replaces_a_stale_one() {
    let dir = TempDir::new("pidfile");
    let path = dir.join("job.pid");
    // pid 1 is always alive: a live owner.
    std::fs::write(&path, "1\n").unwrap();
    assert!(matches!(skytools::script::daemon::read_pidfile(&path).unwrap(), PidState::Running(1)));
    let e = Pidfile::create(&path).unwrap_err();
    assert!(format!("{e:#}").contains("another process running"), "{e:#}");
    std::fs::write(&path, "").unwrap();
    let owned = Pidfile::create(&path).unwrap();
    assert_eq!(std::fs::read_to_string(owned.path()).unwrap().trim(), std::process::id().to_string());
    let files: Vec<_> = std::fs::read_dir(&dir.path).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files.len(), 1, "no temp files left: {files:?}");
    drop(owned);
    assert!(!path.exists(), "removed when its owner ends");
}

#[test]
fn a_bare_dbname_connect_string_uses_pg_environment_like_libpq() {
    let db = Db::new();
    let cluster = db.cluster();
    let out = crate::support::skytools("skytools")
        .args(["install", "pgq_ext", "--db", &format!("dbname={}", db.name)])
        .env("PGHOST", cluster.socket_dir())
        .env("PGPORT", cluster.port().to_string())
        .env("PGUSER", "postgres")
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", crate::support::text(&out));
}

#[test]
fn pgpass_supplies_the_password() {
    let db = Db::new();
    db.psql("create role pwuser login password 'Secret99'");
    let dir = TempDir::new("pgpass");
    let passfile = dir.join("pgpass");
    let cluster = db.cluster();
    std::fs::write(&passfile, format!("*:{}:*:pwuser:Secret99\n", cluster.port())).unwrap();
    std::fs::set_permissions(&passfile, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    // The test cluster trusts everyone, so check that the password reached the config instead.
    let cs = ConnStr::parse(&format!("{} user=pwuser passfile={}", db.connstr(), passfile.display())).unwrap();
    let cfg = cs.to_config("t").unwrap();
    assert_eq!(cfg.get_password(), Some(&b"Secret99"[..]));
    assert!(!cs.to_string().contains("Secret99"));
    let mut c = db::connect(&cs, "t").unwrap();
    assert_eq!(c.query_one("select current_user::text", &[]).unwrap().get::<_, String>(0), "pwuser");
    db.psql("drop role pwuser");
}
