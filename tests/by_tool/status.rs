//! `skytools status` through the real binary: the aligned report, the JSON document's shape,
//! rotation blockers, and the monitoring exit codes for every threshold and for UNKNOWN.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::{self, Db};

/// The setup SQL: queue `q`, one consumer `c` still at the first tick, and one more tick.
const SETUP: &str = "select pgq.create_queue('q'); select pgq.register_consumer('q', 'c'); \
     select pgq.insert_event('q', 't', 'd'); select pgq.set_queue_config('q', 'ticker_max_count', '1')";

/// A database on the shared cluster with pgq and the setup above.
fn setup() -> Db {
    let db = Db::new();
    db.install(&["pgq"]);
    db.psql(SETUP);
    db.psql("select pgq.ticker('q')");
    db
}

fn status(db: &Db, extra: &[&str]) -> (i32, String) {
    status_at(&db.connstr(), extra)
}

fn status_at(connstr: &str, extra: &[&str]) -> (i32, String) {
    let out = support::skytools("skytools").args(["status", "--db", connstr]).args(extra).output().unwrap();
    let (stdout, stderr) = support::text(&out);
    assert!(stderr.is_empty(), "stderr: {stderr}");
    (out.status.code().unwrap(), stdout)
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn text_report_shows_queues_and_consumers_aligned() {
    let db = setup();
    let (code, out) = status(&db, &[]);
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "PGQ OK: 1 queues, 1 consumers");
    assert!(lines[1].starts_with(&format!("Database: {}   Postgres version: ", db.name)), "{out}");
    let header = lines.iter().position(|l| l.starts_with(" queue | ticker lag")).expect(&out);
    assert!(lines[header + 1].starts_with("-------+-"), "{out}");
    assert!(lines[header + 2].starts_with(" q     | "), "{out}");
    assert!(lines[header + 2].contains("pgq.event_1_0"), "{out}");
    assert_eq!(lines[header + 3], "(1 row)");
    let consumers = lines.iter().position(|l| l.starts_with(" queue | consumer")).expect(&out);
    assert!(lines[consumers + 2].starts_with(" q     | c        | "), "{out}");
    // Column separators line up with the header's.
    let bars = |l: &str| l.match_indices('|').map(|(i, _)| i).collect::<Vec<_>>();
    assert_eq!(bars(lines[consumers]), bars(lines[consumers + 2]));
}

#[test]
fn json_document_has_the_documented_shape() {
    let db = setup();
    let (code, out) = status(&db, &["--json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        keys(&v),
        set(&[
            "status",
            "exit_code",
            "reason",
            "problems",
            "database",
            "server_version",
            "pgq_version",
            "checked_at",
            "queues",
            "consumers"
        ])
    );
    assert_eq!(v["status"], "OK");
    assert_eq!(v["exit_code"], 0);
    let q = &v["queues"][0];
    assert_eq!(
        keys(q),
        set(&[
            "name",
            "ticker_lag_seconds",
            "events_per_second",
            "new_events",
            "last_tick_id",
            "ticker_paused",
            "external_ticker",
            "current_table",
            "tables",
            "rotation_period_seconds",
            "last_rotation",
            "next_rotation",
            "rotation_due",
            "rotation_blocked_by",
            "rotation_step2_pending"
        ])
    );
    assert_eq!(
        (&q["name"], &q["current_table"], &q["last_tick_id"], &q["tables"]),
        (&"q".into(), &"pgq.event_1_0".into(), &2.into(), &3.into())
    );
    assert_eq!(q["rotation_period_seconds"], 7200.0);
    let c = &v["consumers"][0];
    assert_eq!(
        keys(c),
        set(&[
            "queue",
            "name",
            "lag_seconds",
            "last_seen_seconds",
            "pending_events",
            "last_tick_id",
            "current_batch",
            "next_tick_id"
        ])
    );
    assert_eq!((&c["name"], &c["last_tick_id"]), (&"c".into(), &1.into()));
    assert!(c["pending_events"].is_i64(), "{c}");
}

#[test]
fn rotation_is_blocked_by_the_consumer_still_reading_before_the_last_switch() {
    // A private cluster: snapshots' xmin is cluster-wide, so other tests' long transactions
    // would hold rotation back too.
    let cluster = support::Cluster::start();
    let connstr = cluster.db("rot");
    let install = support::skytools("skytools").args(["install", "pgq", "--db", &connstr]).output().unwrap();
    support::assert_ok(&install, "skytools install");
    let mut c = cluster.client("rot");
    c.batch_execute(SETUP).unwrap();
    c.batch_execute("select pgq.ticker('q'); select pgq.register_consumer('q', 'fast')").unwrap();
    let blocked = || {
        let (_, out) = status_at(&connstr, &["--json"]);
        serde_json::from_str::<Value>(&out).unwrap()["queues"][0]["rotation_blocked_by"].clone()
    };
    // c sits on tick 1, written by the transaction that created the queue.
    assert_eq!(blocked(), "c");
    let batch: i64 = c.query_one("select pgq.next_batch('q', 'c')", &[]).unwrap().get(0);
    c.execute("select pgq.finish_batch($1)", &[&batch]).unwrap();
    assert_eq!(blocked(), Value::Null);
}

#[test]
fn each_threshold_sets_its_exit_code() {
    let db = setup();
    // c's position is ten minutes old; it was last seen five minutes ago.
    db.psql("update pgq.tick set tick_time = now() - interval '10 minutes' where tick_id = 1");
    db.psql("update pgq.subscription set sub_active = now() - interval '5 minutes'");
    let cases: &[(&[&str], i32, &str)] = &[
        (&["--warn-lag", "3600"], 0, "PGQ OK"),
        (&["--warn-lag", "60"], 1, "PGQ WARNING: q/c lag 60"),
        (&["--warn-lag", "60", "--crit-lag", "300"], 2, "PGQ CRITICAL: q/c lag 60"),
        (&["--warn-last-seen", "60"], 1, "PGQ WARNING: q/c last seen 30"),
        (&["--warn-last-seen", "60", "--crit-last-seen", "120"], 2, "PGQ CRITICAL: q/c last seen 30"),
        (&["--crit-last-seen", "3600", "--warn-lag", "60"], 1, "PGQ WARNING"),
    ];
    for (args, code, first) in cases {
        let (got, out) = status(&db, args);
        assert_eq!(got, *code, "{args:?}: {out}");
        // The figures grow while the test runs: compare up to their first digits.
        assert!(out.lines().next().unwrap().starts_with(first), "{args:?}: {out}");
    }
    let (code, out) = status(&db, &["--json", "--crit-lag", "300", "--warn-last-seen", "60"]);
    assert_eq!(code, 2);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "CRITICAL");
    let levels: Vec<&str> = v["problems"].as_array().unwrap().iter().map(|p| p["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["CRITICAL", "WARNING"], "worst first");
}

#[test]
fn unknown_when_pgq_is_missing_or_the_server_is_unreachable() {
    let db = Db::new();
    let (code, out) = status(&db, &["--crit-lag", "1"]);
    assert_eq!(code, 3);
    assert_eq!(out, format!("PGQ UNKNOWN: pgq is not installed in database {}\n", db.name));
    let out = support::skytools("skytools")
        .args(["status", "--json", "--db", "host=/nonexistent/socket/dir dbname=x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "UNKNOWN");
    assert!(v["reason"].as_str().unwrap().starts_with("cannot connect"), "{v}");
    assert!(v.get("queues").is_none());
    // A broken check command line is UNKNOWN too, not clap's usage status (2 = CRITICAL).
    for (args, why) in [
        (&["status"][..], "--db CONNSTR is required"),
        (&["status", "--db", "x", "--crit-lag", "soon"][..], "--crit-lag: 'soon' is not a number of seconds"),
    ] {
        let out = support::skytools("skytools").args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(3));
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("PGQ UNKNOWN: {why}\n"));
    }
}

#[test]
fn queue_option_limits_the_report() {
    let db = setup();
    db.psql("select pgq.create_queue('other')");
    db.psql("select pgq.register_consumer('other', 'o')");
    let (_, out) = status(&db, &["--json", "--queue", "other"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["queues"].as_array().unwrap().len(), 1);
    assert_eq!(v["queues"][0]["name"], "other");
    assert_eq!(
        v["consumers"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect::<Vec<_>>(),
        ["o"]
    );
    let (code, out) = status(&db, &["--queue", "nope"]);
    assert_eq!(code, 3);
    assert_eq!(out, format!("PGQ UNKNOWN: queue nope does not exist in database {}\n", db.name));
}

#[test]
fn an_unknown_switch_is_unknown_not_critical() {
    let out = crate::support::skytools("skytools").args(["status", "--bogus"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "a usage error must not read as CRITICAL (2)");
}
