//! The pgq SQL schema (sql/pgq) against a real server: queues, producing, ticking, batches,
//! retry, rotation, maintenance, error texts, and installing over itself and over the original
//! PgQ extension without losing queued events.

use crate::support::Db;

mod batches;
mod commit_wakeups;
mod concurrency;
mod install;
mod queues;

/// A fresh database with our pgq installed.
pub fn pgq_db() -> Db {
    let db = Db::new();
    db.install(&["pgq"]);
    db
}

/// Makes the ticker tick `queue` now, each step in its own transaction as pgqd does.
pub fn tick(db: &Db, queue: &str) -> i64 {
    db.psql(&format!("select pgq.force_tick('{queue}')"));
    db.psql(&format!("select pgq.ticker('{queue}')")).parse().expect("a new tick id")
}

/// Opens the consumer's next batch; None when there is none.
pub fn next_batch(db: &Db, queue: &str, consumer: &str) -> Option<i64> {
    let v = db.psql(&format!("select pgq.next_batch('{queue}', '{consumer}')"));
    (!v.is_empty()).then(|| v.parse().unwrap())
}

/// `ev_type:ev_data` of the batch's events, in delivery order.
pub fn batch_events(db: &Db, batch: i64) -> Vec<String> {
    let out = db.psql(&format!("select ev_type || ':' || ev_data from pgq.get_batch_events({batch})"));
    out.lines().map(str::to_string).filter(|l| !l.is_empty()).collect()
}

/// Reads and finishes every batch that is ready; returns all their events.
pub fn drain(db: &Db, queue: &str, consumer: &str) -> Vec<String> {
    let mut all = Vec::new();
    while let Some(b) = next_batch(db, queue, consumer) {
        all.extend(batch_events(db, b));
        assert_eq!(db.psql(&format!("select pgq.finish_batch({b})")), "1");
    }
    all
}

/// The error text psql printed for a failing statement.
pub fn error_of(db: &Db, sql: &str) -> String {
    let out = db.psql_raw(sql);
    assert!(!out.status.success(), "expected failure: {sql}");
    let err = String::from_utf8_lossy(&out.stderr);
    err.lines().next().unwrap_or("").trim_start_matches("psql:").to_string()
}
