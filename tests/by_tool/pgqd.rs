//! pgqd through the real binary against real clusters: ticking, surviving restarts, databases
//! appearing and vanishing, rotation and retry on schedule, the daemon switches (-d, -s, -k,
//! -r, pidfile), reload, and config errors. The databases use the original C PgQ extension
//! (`create extension pgq`).

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;

use crate::support::{skytools, text, wait_for, Cluster, Db, TempDir};

mod commit_ticks;
mod slow_ticks;

/// A pgqd started by a test, with its config and log in a temp dir; killed on drop.
struct Pgqd {
    dir: TempDir,
    child: Option<Child>,
}

impl Pgqd {
    /// Writes `pgqd.ini` (a `[pgqd]` section with `keys`, logfile and pidfile added) without
    /// starting anything.
    fn config(keys: &[(&str, String)]) -> Pgqd {
        let dir = TempDir::new("pgqd");
        let mut ini = format!(
            "[pgqd]\nlogfile = {}\npidfile = {}\nsyslog = 0\n",
            dir.join("pgqd.log").display(),
            dir.join("pgqd.pid").display()
        );
        for (k, v) in keys {
            ini.push_str(&format!("{k} = {v}\n"));
        }
        std::fs::write(dir.join("pgqd.ini"), ini).unwrap();
        Pgqd { dir, child: None }
    }

    /// Config plus a foreground pgqd (`-v`) running on it.
    fn start(keys: &[(&str, String)]) -> Pgqd {
        let mut p = Pgqd::config(keys);
        p.child = Some(
            skytools("pgqd")
                .arg("-v")
                .arg(p.ini())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("starting pgqd"),
        );
        p
    }

    fn ini(&self) -> PathBuf {
        self.dir.join("pgqd.ini")
    }

    fn pidfile(&self) -> PathBuf {
        self.dir.join("pgqd.pid")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("pgqd.log")).unwrap_or_default()
    }

    fn wait_log(&self, needle: &str, secs: f64) {
        assert!(
            wait_for(secs, || self.log().contains(needle)),
            "{needle:?} not logged within {secs} s:\n{}",
            self.log()
        );
    }

    /// Runs pgqd with these switches on this config and waits for it.
    fn switch(&self, args: &[&str]) -> std::process::Output {
        skytools("pgqd").args(args).arg(self.ini()).output().unwrap()
    }

    fn signal(&self, sig: nix::sys::signal::Signal) {
        let pid = self.child.as_ref().expect("started").id();
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), sig).unwrap();
    }

    /// Waits for the foreground process to exit and returns its exit code.
    fn wait_exit(&mut self, secs: f64) -> Option<i32> {
        let child = self.child.as_mut().expect("started");
        let mut code = None;
        let exited = wait_for(secs, || match child.try_wait().unwrap() {
            Some(st) => {
                code = st.code();
                true
            }
            None => false,
        });
        assert!(exited, "pgqd still running after {secs} s:\n{}", self.log());
        self.child = None;
        code
    }
}

impl Drop for Pgqd {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Ok(pid) = std::fs::read_to_string(self.pidfile()) {
            if let Ok(pid) = pid.trim().parse::<i32>() {
                let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGKILL);
            }
        }
        if std::thread::panicking() {
            eprintln!("--- pgqd log ---\n{}", self.log());
        }
    }
}

/// Installs the original PgQ unless a pgq is there, with one queue that ticks whenever it has a new event (max lag 0),
/// so that with an event inserted before each look every pgqd tick is a new row in pgq.tick.
fn pgq_queue(client: &mut postgres::Client, queue: &str) {
    client
        .batch_execute(&format!(
            "do $$ begin if to_regnamespace('pgq') is null then create extension pgq; end if; end $$; select pgq.create_queue('{queue}'); \
             select pgq.set_queue_config('{queue}', 'ticker_max_lag', '0');"
        ))
        .unwrap();
}

fn last_tick(client: &mut postgres::Client) -> i64 {
    client.query_one("select coalesce(max(tick_id), 0) from pgq.tick", &[]).unwrap().get(0)
}

/// Waits until pgq.tick of the database grows by at least `n` ticks.
fn ticks_advance(connect: impl Fn() -> Option<postgres::Client>, n: i64, secs: f64) -> bool {
    let mut start = None;
    wait_for(secs, || {
        let Some(mut c) = connect() else { return false };
        if c.batch_execute("select pgq.insert_event(queue_name, 'x', 'y') from pgq.queue").is_err() {
            return false;
        }
        let t = last_tick(&mut c);
        let s = *start.get_or_insert(t);
        t >= s + n
    })
}

/// Which pgq a test database gets.
#[derive(Clone, Copy)]
enum Pgq {
    /// The original C PgQ extension (`create extension pgq`).
    Original,
    /// This project's PL/pgSQL pgq (`skytools install pgq`).
    Ours,
}

fn shared_db_with_queue(pgq: Pgq) -> Db {
    let db = Db::new();
    if let Pgq::Ours = pgq {
        db.install(&["pgq"]);
    }
    pgq_queue(&mut db.client(), "q");
    db
}

fn base_connstr(db: &Db) -> String {
    let c = db.cluster();
    format!("host={} port={} user=postgres", c.socket_dir().display(), c.port())
}

#[test]
fn ticks_listed_databases_and_survives_a_killed_connection() {
    let (a, b) = (shared_db_with_queue(Pgq::Original), shared_db_with_queue(Pgq::Ours));
    let p = Pgqd::start(&[
        ("base_connstr", base_connstr(&a)),
        ("database_list", format!("{}, {}", a.name, b.name)),
        ("ticker_period", "0.1".into()),
        ("stats_period", "0.5".into()),
    ]);
    assert!(ticks_advance(|| Some(a.client()), 5, 20.0), "a ticks:\n{}", p.log());
    assert!(ticks_advance(|| Some(b.client()), 5, 20.0), "b ticks:\n{}", p.log());
    p.wait_log(&format!("[{}]: pgq version ok: ", a.name), 5.0);
    p.wait_log(&format!("[{}]: ticker: 1 queue(s) ticked", b.name), 5.0);
    p.wait_log("{ticks: ", 5.0);
    // Kill a's ticker backend: b goes on, a is served again after a short pause.
    a.client()
        .batch_execute("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'pgqd' and datname = current_database()")
        .unwrap();
    assert!(ticks_advance(|| Some(b.client()), 5, 20.0), "b keeps ticking:\n{}", p.log());
    assert!(ticks_advance(|| Some(a.client()), 5, 20.0), "a ticks again:\n{}", p.log());
    assert!(p.log().contains(&format!("[{}]: ticker failed: ", a.name)), "{}", p.log());
}

#[test]
fn ticks_resume_within_15_s_after_a_server_restart() {
    let cluster = Cluster::start();
    for name in ["one", "two"] {
        cluster.db(name);
    }
    let out = skytools("skytools").args(["install", "pgq", "--db"]).arg(cluster.connstr("two")).output().unwrap();
    crate::support::assert_ok(&out, "installing our pgq");
    for name in ["one", "two"] {
        pgq_queue(&mut cluster.client(name), "q");
    }
    let base = format!("host={} port={} user=postgres", cluster.socket_dir().display(), cluster.port());
    let p = Pgqd::start(&[
        ("base_connstr", base),
        ("initial_database", "postgres".into()),
        ("ticker_period", "0.2".into()),
    ]);
    let client = |db: &'static str| {
        let c = &cluster;
        move || std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.client(db))).ok()
    };
    assert!(ticks_advance(client("one"), 3, 20.0));
    assert!(ticks_advance(client("two"), 3, 20.0));
    cluster.restart();
    let restarted = std::time::Instant::now();
    assert!(ticks_advance(client("one"), 2, 15.0), "one after restart:\n{}", p.log());
    assert!(ticks_advance(client("two"), 2, 15.0 - restarted.elapsed().as_secs_f64()), "two:\n{}", p.log());
    let log = p.log();
    let reports = log.matches("[one]: ticker failed: ").count() + log.matches("[one]: connection failed: ").count();
    assert!(reports <= 2, "an outage is logged once per phase, not per attempt:\n{log}");
    assert!(log.contains("working again after"), "{log}");
}

#[test]
fn serves_databases_created_while_running_and_lets_go_of_dropped_ones() {
    let cluster = Cluster::start();
    cluster.db("first");
    pgq_queue(&mut cluster.client("first"), "q");
    let base = format!("host={} port={} user=postgres", cluster.socket_dir().display(), cluster.port());
    let p = Pgqd::start(&[
        ("base_connstr", base),
        ("initial_database", "postgres".into()),
        ("ticker_period", "0.1".into()),
        ("check_period", "0.5".into()),
    ]);
    assert!(ticks_advance(|| Some(cluster.client("first")), 3, 20.0));
    p.wait_log("[postgres]: no pgq", 10.0);
    cluster.db("later");
    pgq_queue(&mut cluster.client("later"), "q");
    assert!(ticks_advance(|| Some(cluster.client("later")), 3, 20.0), "new database served:\n{}", p.log());
    p.wait_log("[later]: pgq version ok", 5.0);
    cluster.client("postgres").batch_execute("drop database first with (force)").unwrap();
    p.wait_log("Unregister database: [first]", 10.0);
    assert!(ticks_advance(|| Some(cluster.client("later")), 3, 20.0), "the other goes on:\n{}", p.log());
}

#[test]
fn rotates_tables_and_moves_retry_events_on_schedule_original_pgq() {
    rotates_tables_and_moves_retry_events(Pgq::Original);
}

#[test]
fn rotates_tables_and_moves_retry_events_on_schedule_our_pgq() {
    rotates_tables_and_moves_retry_events(Pgq::Ours);
}

/// On a private cluster: rotation waits until no transaction older than the last switch is
/// open anywhere in the cluster, which the shared cluster's other tests cannot promise.
fn rotates_tables_and_moves_retry_events(pgq: Pgq) {
    let cluster = Cluster::start();
    cluster.db("rot");
    if let Pgq::Ours = pgq {
        let out = skytools("skytools").args(["install", "pgq", "--db"]).arg(cluster.connstr("rot")).output().unwrap();
        crate::support::assert_ok(&out, "installing our pgq");
    }
    let mut c = cluster.client("rot");
    pgq_queue(&mut c, "q");
    // Separate statements: an event is only in a tick taken after its transaction committed.
    for sql in [
        "select pgq.set_queue_config('q', 'rotation_period', '1 second')",
        "select pgq.register_consumer('q', 'c')",
        "select pgq.insert_event('q', 'ev', 'payload')",
        "select pgq.ticker()",
    ] {
        c.batch_execute(sql).unwrap();
    }
    let batch: i64 = c.query_one("select pgq.next_batch('q', 'c')", &[]).unwrap().get(0);
    let ev: i64 = c.query_one("select ev_id from pgq.get_batch_events($1)", &[&batch]).unwrap().get(0);
    c.execute("select pgq.event_retry($1, $2, 0)", &[&batch, &ev]).unwrap();
    c.execute("select pgq.finish_batch($1)", &[&batch]).unwrap();
    let retry_rows =
        |c: &mut postgres::Client| -> i64 { c.query_one("select count(*) from pgq.retry_queue", &[]).unwrap().get(0) };
    assert_eq!(retry_rows(&mut c), 1);
    let table =
        |c: &mut postgres::Client| -> i32 { c.query_one("select queue_cur_table from pgq.queue", &[]).unwrap().get(0) };
    let first_table = table(&mut c);

    let p = Pgqd::start(&[
        ("base_connstr", format!("host={} port={} user=postgres", cluster.socket_dir().display(), cluster.port())),
        ("database_list", "rot".into()),
        ("ticker_period", "0.2".into()),
        ("maint_period", "0.5".into()),
        ("retry_period", "0.5".into()),
        ("stats_period", "0.5".into()),
    ]);
    assert!(wait_for(20.0, || retry_rows(&mut c) == 0), "retry event moved back:\n{}", p.log());
    p.wait_log("retry: 1}", 5.0);
    // The consumer keeps reading: rotation waits for it to move past the switch.
    let mut back = false;
    let done = wait_for(30.0, || {
        if let Some(b) = c.query_one("select pgq.next_batch('q', 'c')", &[]).unwrap().get::<_, Option<i64>>(0) {
            let n: i64 = c
                .query_one("select count(*) from pgq.get_batch_events($1) where ev_id = $2", &[&b, &ev])
                .unwrap()
                .get(0);
            c.execute("select pgq.finish_batch($1)", &[&b]).unwrap();
            back |= n == 1;
        }
        back && table(&mut c) != first_table
    });
    assert!(back, "retried event delivered again:\n{}", p.log());
    assert!(done, "table rotated:\n{}", p.log());
    p.wait_log("select pgq.maint_rotate_tables_step2()", 5.0);
}

#[test]
fn runs_queue_extra_maintenance_functions() {
    let db = shared_db_with_queue(Pgq::Ours);
    db.psql(
        "create table calls (arg text); \
         create function public.extra_maint(q text) returns int language sql as \
         $$ insert into calls values (q); select case when count(*) < 3 then 1 else 0 end::int from calls $$; \
         update pgq.queue set queue_extra_maint = array['public.extra_maint'] where queue_name = 'q';",
    );
    let p = Pgqd::start(&[
        ("base_connstr", base_connstr(&db)),
        ("database_list", db.name.clone()),
        ("maint_period", "60".into()),
    ]);
    // Returning non-zero means "call me again": three calls in the first round, then it waits.
    assert!(wait_for(20.0, || db.psql("select count(*) from calls") == "3"), "{}", p.log());
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(db.psql("select string_agg(distinct arg, ',') || count(*) from calls"), "q3");
}

#[test]
fn daemon_pidfile_reload_stop_and_kill() {
    let (a, b) = (shared_db_with_queue(Pgq::Original), shared_db_with_queue(Pgq::Original));
    let p = Pgqd::config(&[
        ("base_connstr", base_connstr(&a)),
        ("database_list", a.name.clone()),
        ("ticker_period", "0.1".into()),
    ]);
    let out = p.switch(&["-d"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let pid = std::fs::read_to_string(p.pidfile()).expect("pidfile written").trim().to_string();
    p.wait_log("Starting pgqd", 10.0);
    assert!(ticks_advance(|| Some(a.client()), 3, 20.0), "{}", p.log());

    let second = p.switch(&["-d"]);
    assert_eq!(second.status.code(), Some(1));
    assert!(text(&second).1.contains("another process running"), "{:?}", text(&second));
    assert_eq!(std::fs::read_to_string(p.pidfile()).unwrap().trim(), pid, "pidfile untouched");

    // HUP: a database added to database_list is served.
    let ini = std::fs::read_to_string(p.ini()).unwrap();
    std::fs::write(
        p.ini(),
        ini.replace(&format!("database_list = {}", a.name), &format!("database_list = {},{}", a.name, b.name)),
    )
    .unwrap();
    let out = p.switch(&["-r"]);
    assert!(out.status.success(), "{:?}", text(&out));
    p.wait_log("Got SIGHUP, re-reading config", 10.0);
    assert!(ticks_advance(|| Some(b.client()), 3, 20.0), "b served after reload:\n{}", p.log());

    let out = p.switch(&["-s"]);
    assert!(out.status.success(), "{:?}", text(&out));
    p.wait_log("Got SIGINT, shutting down", 10.0);
    assert!(wait_for(10.0, || !p.pidfile().exists()), "pidfile removed at a clean stop");

    // A stale pidfile (dead pid) does not prevent a start; -k stops it.
    std::fs::write(p.pidfile(), "999999999\n").unwrap();
    let out = p.switch(&["-d"]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_ne!(std::fs::read_to_string(p.pidfile()).unwrap().trim(), "999999999");
    let out = p.switch(&["-k"]);
    assert!(out.status.success(), "{:?}", text(&out));
    p.wait_log("Got SIGTERM, fast exit", 10.0);
    assert!(wait_for(10.0, || !p.pidfile().exists()), "pidfile removed after -k");
    let out = p.switch(&["-s"]);
    assert!(out.status.success());
}

#[test]
fn int_stops_cleanly_and_term_exits_1() {
    let db = shared_db_with_queue(Pgq::Original);
    let keys = [("base_connstr", base_connstr(&db)), ("database_list", db.name.clone())];
    let mut p = Pgqd::start(&keys);
    p.wait_log("pgq version ok", 10.0);
    p.signal(nix::sys::signal::SIGINT);
    assert_eq!(p.wait_exit(10.0), Some(0));
    let mut p = Pgqd::start(&keys);
    p.wait_log("pgq version ok", 10.0);
    p.signal(nix::sys::signal::SIGTERM);
    assert_eq!(p.wait_exit(10.0), Some(1));
    assert!(p.log().contains("Got SIGTERM, fast exit"));
}

#[test]
fn bad_configs_give_clear_errors() {
    let p = Pgqd::config(&[("ticker_perod", "1".into())]);
    let out = p.switch(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(p.log().contains("pgqd.ini [pgqd] ticker_perod: unknown parameter"), "{}", p.log());

    let p = Pgqd::config(&[("ticker_period", "fast".into())]);
    assert_eq!(p.switch(&[]).status.code(), Some(1));
    assert!(p.log().contains("[pgqd] ticker_period: bad time interval value 'fast'"), "{}", p.log());

    let out = skytools("pgqd").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("pgqd requires config file"));

    // A server that is not there: the error names it and pgqd keeps trying.
    let dir = TempDir::new("nosrv");
    let mut p = Pgqd::start(&[
        ("base_connstr", format!("host={} port=1 user=postgres", dir.path.display())),
        ("database_list", "nodb".into()),
    ]);
    p.wait_log("[nodb]: connection failed: cannot connect to", 10.0);
    assert!(p.log().contains(&format!("host={}", dir.path.display())), "{}", p.log());
    p.signal(nix::sys::signal::SIGINT);
    assert_eq!(p.wait_exit(10.0), Some(0));
}

#[test]
fn version_and_ini() {
    let out = skytools("pgqd").arg("-V").output().unwrap();
    assert!(out.status.success());
    assert!(text(&out).0.contains("version"));
    let out = skytools("pgqd").arg("--ini").output().unwrap();
    assert!(out.status.success());
    let ini = text(&out).0;
    assert!(ini.starts_with("[pgqd]"));
    for key in ["logfile", "pidfile", "base_connstr", "database_list", "ticker_period", "maint_period", "retry_period"]
    {
        assert!(ini.contains(key), "{key} in --ini");
    }
}

#[test]
fn gives_up_after_max_reconnect_failures() {
    let dir = TempDir::new("nosrv");
    let mut p = Pgqd::start(&[
        ("base_connstr", format!("host={} port=1 user=postgres", dir.path.display())),
        ("database_list", "gone".into()),
        ("max_reconnect_failures", "3".into()),
    ]);
    assert_eq!(p.wait_exit(30.0), Some(1));
    let log = p.log();
    assert!(log.contains("[gone]: giving up after 3 failed connection attempts: cannot connect to"), "{log}");
    assert!(log.contains("No such file or directory"), "the server-side reason is kept: {log}");
}

#[test]
fn ticks_at_10_ms_and_notifies_listeners() {
    let (orig, ours) = (shared_db_with_queue(Pgq::Original), shared_db_with_queue(Pgq::Ours));
    let mut listeners: Vec<postgres::Client> = [&orig, &ours].iter().map(|d| d.client()).collect();
    for l in &mut listeners {
        l.batch_execute("listen pgq_ticker").unwrap();
    }
    let p = Pgqd::start(&[
        ("base_connstr", base_connstr(&orig)),
        ("database_list", format!("{} {}", orig.name, ours.name)),
        ("ticker_period", "10ms".into()),
        ("stats_period", "1".into()),
    ]);
    // Ticker calls per second over both databases: 2 at the default period, 200 at 10 ms.
    let busy_second = || {
        p.log()
            .lines()
            .filter_map(|l| l.split("{ticks: ").nth(1)?.split(',').next()?.parse::<u64>().ok())
            .any(|n| n >= 50)
    };
    assert!(wait_for(30.0, busy_second), "{}", p.log());
    // Waiting between ticks is sleeping, not spinning: well under one CPU.
    let pid = p.child.as_ref().unwrap().id();
    let cpu = || -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let f: Vec<&str> = stat.rsplit(')').next().unwrap().split_whitespace().collect();
        (f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap()) / 100.0
    };
    let (c0, t0) = (cpu(), std::time::Instant::now());
    std::thread::sleep(Duration::from_secs(3));
    let share = (cpu() - c0) / t0.elapsed().as_secs_f64();
    assert!(share < 0.5, "pgqd used {:.0}% of a CPU", share * 100.0);
    for (db, l) in [&orig, &ours].iter().zip(&mut listeners) {
        db.psql("select pgq.insert_event('q', 'wake', 'up')");
        let got = l.notifications().timeout_iter(Duration::from_secs(10)).next().unwrap();
        let n = got.expect("a NOTIFY after the tick");
        assert_eq!((n.channel(), n.payload()), ("pgq_ticker", "q"));
    }
}

/// One HTTP exchange with the metrics endpoint: status line, headers and body.
fn http(port: u16, request: &str) -> (String, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
    (head.to_string(), body.to_string())
}

/// The value of the sample with exactly these name and labels.
fn sample(body: &str, series: &str) -> Option<f64> {
    body.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn metrics_endpoint_reports_databases_queues_and_consumers() {
    let db = shared_db_with_queue(Pgq::Ours);
    // A paused queue keeps the state the test sets: three events in a tick the consumer has
    // not read, two more in no tick yet.
    for sql in [
        "select pgq.register_consumer('q', 'reader')",
        "select pgq.insert_event('q', 'a', '1')",
        "select pgq.insert_event('q', 'a', '2')",
        "select pgq.insert_event('q', 'a', '3')",
        "select pgq.ticker()",
        "update pgq.queue set queue_ticker_paused = true where queue_name = 'q'",
        "select pgq.insert_event('q', 'b', '4')",
        "select pgq.insert_event('q', 'b', '5')",
    ] {
        db.psql(sql);
    }
    let pending_in_queue: f64 = db.psql("select ev_new from pgq.get_queue_info('q')").parse().unwrap();
    let pending_for_reader: f64 =
        db.psql("select pending_events from pgq.get_consumer_info('q', 'reader')").parse().unwrap();
    assert!(pending_in_queue > 0.0 && pending_for_reader > 0.0);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let p = Pgqd::start(&[
        ("base_connstr", base_connstr(&db)),
        ("database_list", format!("{}, no_such_db_here", db.name)),
        ("ticker_period", "0.1".into()),
        ("metrics_listen", format!("127.0.0.1:{port}")),
    ]);
    p.wait_log("metrics on http://127.0.0.1:", 10.0);
    let d = &db.name;
    let mut body = String::new();
    let ready = wait_for(20.0, || {
        body = http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").1;
        sample(&body, &format!("pgqd_ticks_total{{database=\"{d}\"}}")).is_some_and(|n| n >= 3.0)
            && body.contains("pgq_consumer_pending_events")
            && sample(&body, "pgqd_database_errors_total{database=\"no_such_db_here\"}").is_some_and(|n| n >= 1.0)
    });
    assert!(ready, "{body}\n{}", p.log());
    let (head, _) = http(port, "GET /metrics HTTP/1.1\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.contains("Content-Type: text/plain; version=0.0.4"), "{head}");
    assert_eq!(sample(&body, "pgqd_up"), Some(1.0));
    assert_eq!(sample(&body, &format!("pgqd_database_up{{database=\"{d}\"}}")), Some(1.0));
    assert_eq!(sample(&body, "pgqd_database_up{database=\"no_such_db_here\"}"), Some(0.0));
    assert!(sample(&body, &format!("pgqd_last_tick_age_seconds{{database=\"{d}\"}}")).is_some_and(|a| a < 60.0));
    assert!(body.contains(&format!("pgqd_maintenance_runs_total{{database=\"{d}\"}}")), "{body}");
    let queue = format!("{{database=\"{d}\",queue=\"q\"}}");
    assert_eq!(sample(&body, &format!("pgq_queue_pending_events{queue}")), Some(pending_in_queue), "{body}");
    assert!(body.contains(&format!("pgq_queue_ticker_lag_seconds{{database=\"{d}\",queue=\"q\"}}")), "{body}");
    assert!(body.contains(&format!("pgq_queue_events_per_second{{database=\"{d}\",queue=\"q\"}}")), "{body}");
    let consumer = format!("{{database=\"{d}\",queue=\"q\",consumer=\"reader\"}}");
    assert_eq!(sample(&body, &format!("pgq_consumer_pending_events{consumer}")), Some(pending_for_reader), "{body}");
    assert!(sample(&body, &format!("pgq_consumer_lag_seconds{consumer}")).is_some(), "{body}");
    assert!(sample(&body, &format!("pgq_consumer_last_seen_seconds{consumer}")).is_some(), "{body}");
    assert!(!body.contains("no_such_db_here\",queue"), "no queries to a database that is down");

    for (request, status) in [
        ("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "405"),
        ("GET /other HTTP/1.1\r\n\r\n", "404"),
        ("nonsense\r\n\r\n", "400"),
    ] {
        let (head, _) = http(port, request);
        assert!(head.starts_with(&format!("HTTP/1.1 {status} ")), "{request:?} -> {head}");
    }
    assert_eq!(db.psql("select queue_ticker_paused from pgq.queue"), "t");
}

#[test]
fn metrics_listen_on_a_busy_address_fails_the_start() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let p = Pgqd::config(&[("database_list", "x".into()), ("metrics_listen", addr.to_string())]);
    let out = p.switch(&["-d"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains(&format!("metrics_listen: cannot listen on {addr}")), "{:?}", text(&out));
}

fn pgqd_backend(db: &Db) -> Option<i32> {
    db.client()
        .query_opt(
            "select pid from pg_stat_activity where application_name = 'pgqd' and datname = current_database()",
            &[],
        )
        .unwrap()
        .map(|r| r.get(0))
}

#[test]
fn recycles_the_connection_after_connection_lifetime() {
    let db = shared_db_with_queue(Pgq::Original);
    let p = Pgqd::start(&[
        ("base_connstr", base_connstr(&db)),
        ("database_list", db.name.clone()),
        ("ticker_period", "0.1".into()),
        ("maint_period", "600".into()),
        ("retry_period", "600".into()),
        ("connection_lifetime", "1".into()),
    ]);
    let mut first = None;
    assert!(wait_for(10.0, || {
        first = pgqd_backend(&db);
        first.is_some()
    }));
    assert!(wait_for(20.0, || pgqd_backend(&db).is_some_and(|pid| Some(pid) != first)), "{}", p.log());
    assert!(ticks_advance(|| Some(db.client()), 3, 20.0), "{}", p.log());
}

#[test]
fn a_database_refusing_connections_is_reported_and_served_again() {
    let db = shared_db_with_queue(Pgq::Original);
    let p = Pgqd::start(&[
        ("base_connstr", base_connstr(&db)),
        ("database_list", db.name.clone()),
        ("ticker_period", "0.1".into()),
    ]);
    assert!(ticks_advance(|| Some(db.client()), 3, 20.0), "{}", p.log());
    let admin = || db.cluster().client("postgres");
    admin().batch_execute(&format!("alter database \"{}\" allow_connections false", db.name)).unwrap();
    admin()
        .execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'pgqd' and datname = $1",
            &[&db.name],
        )
        .unwrap();
    p.wait_log("is not currently accepting connections", 20.0);
    admin().batch_execute(&format!("alter database \"{}\" allow_connections true", db.name)).unwrap();
    assert!(ticks_advance(|| Some(db.client()), 3, 20.0), "served again:\n{}", p.log());
    assert_eq!(p.log().matches("is not currently accepting connections").count(), 1, "logged once:\n{}", p.log());
}
