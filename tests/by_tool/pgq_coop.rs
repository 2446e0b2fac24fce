//! pgq_coop (sql/pgq_coop): subconsumers sharing one consumer's position, each batch delivered
//! to exactly one of them, dead subconsumers' batches taken over.

use crate::support::Db;

fn coop_db() -> Db {
    let db = Db::new();
    db.install(&["pgq", "pgq_coop"]);
    db.psql("select pgq.create_queue('q')");
    db.psql("select pgq_coop.register_subconsumer('q', 'cmain', 's1')");
    db
}

/// One event per tick, each tick in its own transaction as pgqd does it.
fn produce(db: &Db, ev_type: &str) {
    db.psql(&format!("select pgq.insert_event('q', '{ev_type}', 'data')"));
    db.psql("select pgq.force_tick('q')");
    db.psql("select pgq.ticker('q')");
}

fn next(db: &Db, sub: &str) -> Option<i64> {
    let v = db.psql(&format!("select pgq_coop.next_batch('q', 'cmain', '{sub}')"));
    (!v.is_empty()).then(|| v.parse().unwrap())
}

fn event_types(db: &Db, batch: i64) -> Vec<String> {
    let out = db.psql(&format!("select ev_type from pgq.get_batch_events({batch})"));
    out.lines().filter(|l| !l.is_empty()).map(str::to_string).collect()
}

#[test]
fn subconsumers_share_work_without_duplicates() {
    let db = coop_db();
    assert_eq!(db.psql("select pgq_coop.version()"), "3.1.1");
    assert_eq!(db.psql("select pgq_coop.register_subconsumer('q', 'cmain', 's1')"), "0");
    assert_eq!(db.psql("select pgq_coop.register_subconsumer('q', 'cmain', 's3')"), "1");
    assert_eq!(db.psql("select pgq_coop.unregister_subconsumer('q', 'cmain', 's3', 0)"), "1");
    for t in ["a", "b", "c", "d"] {
        produce(&db, t);
    }
    // s2 registers itself on first use
    let b1 = next(&db, "s1").expect("batch for s1");
    let b2 = next(&db, "s2").expect("batch for s2");
    assert_ne!(b1, b2);
    assert_eq!(next(&db, "s1"), Some(b1), "an open batch is handed out again");
    let mut seen = event_types(&db, b1);
    seen.extend(event_types(&db, b2));
    assert_eq!(db.psql(&format!("select pgq_coop.finish_batch({b1})")), "1");
    assert_eq!(db.psql(&format!("select pgq_coop.finish_batch({b1})")), "0");
    while let Some(b) = next(&db, "s1") {
        seen.extend(event_types(&db, b));
        db.psql(&format!("select pgq_coop.finish_batch({b})"));
    }
    db.psql(&format!("select pgq_coop.finish_batch({b2})"));
    assert_eq!(next(&db, "s2"), None);
    seen.sort();
    assert_eq!(seen, ["a", "b", "c", "d"], "every event exactly once");
    assert_eq!(
        db.psql("select consumer_name || ':' || coalesce(last_tick::text, 'idle') from pgq.get_consumer_info('q')"),
        "cmain:5\ncmain.s1:idle\ncmain.s2:idle"
    );
}

#[test]
fn dead_subconsumer_batch_is_taken_over() {
    let db = coop_db();
    produce(&db, "a");
    produce(&db, "b");
    let dead = next(&db, "s1").expect("batch");
    // s1 stops; after the dead interval another subconsumer takes its batch over
    assert_eq!(
        db.psql("select pgq_coop.next_batch('q', 'cmain', 's2', '1 hour')"),
        (dead + 1).to_string(),
        "s1 is not dead yet, s2 gets the next batch"
    );
    db.psql(&format!("select pgq_coop.finish_batch({})", dead + 1));
    db.psql(&format!("update pgq.subscription set sub_active = now() - interval '2 hours' where sub_batch = {dead}"));
    assert_eq!(db.psql("select pgq_coop.next_batch('q', 'cmain', 's2', '1 hour')"), dead.to_string());
    assert_eq!(event_types(&db, dead), ["a"]);
    assert_eq!(
        db.psql("select count(*) from pgq.get_consumer_info('q') where consumer_name = 'cmain.s1'"),
        "0",
        "the dead subconsumer is removed"
    );
}

#[test]
fn unregister_modes() {
    let db = coop_db();
    produce(&db, "a");
    produce(&db, "b");
    next(&db, "s1").expect("batch");
    db.psql("select pgq_coop.register_subconsumer('q', 'cmain', 's2')");
    let out = db.psql_raw("select pgq_coop.unregister_subconsumer('q', 'cmain', 's1', 0)");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("subconsumer has active batch"));
    assert_eq!(db.psql("select pgq_coop.unregister_subconsumer('q', 'cmain', 's1', 1)"), "1");
    assert_eq!(db.psql("select pgq_coop.unregister_subconsumer('q', 'cmain', 's1', 1)"), "0");
    assert_eq!(db.psql("select pgq.unregister_consumer('q', 'cmain')"), "2", "main and s2");
}
