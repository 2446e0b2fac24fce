//! `ticker_on_commit`: the insert fast path of an opted-in queue notifies `pgq_new_events`
//! with the queue's name, which PostgreSQL delivers at commit only, once per transaction;
//! other queues notify nothing.

use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;

use super::{error_of, pgq_db};

/// The payloads of `pgq_new_events` received by `listener` up to the marker notification sent
/// after everything else (notifications arrive in commit order).
fn wakeups_until_marker(db: &crate::support::Db, listener: &mut postgres::Client) -> Vec<String> {
    db.psql("notify pgq_new_events, 'marker'");
    let mut got = Vec::new();
    let mut it = listener.notifications();
    let mut it = it.timeout_iter(Duration::from_secs(20));
    loop {
        let n = it.next().unwrap().expect("the marker notification");
        if n.payload() == "marker" {
            return got;
        }
        assert_eq!(n.channel(), "pgq_new_events");
        got.push(n.payload().to_string());
    }
}

#[test]
fn ticker_on_commit_notifies_once_per_committed_transaction() {
    let db = pgq_db();
    db.psql("select pgq.create_queue('hot'); select pgq.create_queue('cold')");
    assert_eq!(db.psql("select pgq.set_queue_config('hot', 'ticker_on_commit', 'on')"), "1");
    assert_eq!(db.psql("select queue_name from pgq.queue_ticker_on_commit join pgq.queue using (queue_id)"), "hot");
    let mut listener = db.client();
    listener.batch_execute("listen pgq_new_events").unwrap();

    // every way into the queue, several times in one transaction: one notification
    db.psql(
        "begin; \
         select pgq.insert_event('hot', 'a', '1'); \
         select pgq.insert_event('hot', 'a', '2', 'x', null, null, null); \
         select pgq.insert_event_raw('hot', null, null, null, null, 'a', '3', null, null, null, null); \
         select pgq.insert_event('cold', 'a', '4'); \
         commit",
    );
    // rolled back, whole or in a savepoint: nothing; other queues: nothing
    db.psql("begin; select pgq.insert_event('hot', 'b', '1'); rollback");
    db.psql("begin; savepoint s; select pgq.insert_event('hot', 'b', '2'); rollback to savepoint s; commit");
    db.psql("select pgq.insert_event('cold', 'b', '3')");
    // the slow path (a per-transaction limit goes through insert_event_raw) notifies too
    db.psql("update pgq.queue set queue_per_tx_limit = 10 where queue_name = 'hot'");
    db.psql("select pgq.insert_event('hot', 'c', '1')");
    assert_eq!(wakeups_until_marker(&db, &mut listener), ["hot", "hot"]);

    // switched off (and setting it twice is harmless): the queue is quiet again
    db.psql("select pgq.set_queue_config('hot', 'ticker_on_commit', 'true')");
    assert_eq!(db.psql("select pgq.set_queue_config('hot', 'ticker_on_commit', 'off')"), "1");
    db.psql("select pgq.insert_event('hot', 'd', '1')");
    assert_eq!(wakeups_until_marker(&db, &mut listener), Vec::<String>::new());
    assert_eq!(db.psql("select count(*) from pgq.queue_ticker_on_commit"), "0");

    // a dropped queue takes its setting along
    db.psql("select pgq.set_queue_config('cold', 'ticker_on_commit', '1'); select pgq.drop_queue('cold')");
    assert_eq!(db.psql("select count(*) from pgq.queue_ticker_on_commit"), "0");
    assert_eq!(db.psql("select count(*) from pgq.event_1"), "5", "every event was written");
}

#[test]
fn ticker_on_commit_rejects_bad_values_and_keeps_the_queue_table_as_it_was() {
    let db = pgq_db();
    db.psql("select pgq.create_queue('q')");
    let columns = "select string_agg(attname, ',' order by attnum) from pg_attribute \
                   where attrelid = 'pgq.queue'::regclass and attnum > 0 and not attisdropped";
    let before = db.psql(columns);
    assert!(error_of(&db, "select pgq.set_queue_config('q', 'ticker_on_commit', 'maybe')")
        .contains("invalid input syntax for type boolean"));
    assert!(error_of(&db, "select pgq.set_queue_config('q', 'ticker_on_commit', null)").ends_with("Invalid NULL value"));
    assert!(
        error_of(&db, "select pgq.set_queue_config('nope', 'ticker_on_commit', 'on')").ends_with("No such event queue")
    );
    db.psql("select pgq.set_queue_config('q', 'ticker_on_commit', 'on')");
    assert_eq!(db.psql(columns), before);
    // a reinstall keeps the setting and the generated wake-up
    db.install(&["pgq"]);
    let src = db.psql("select prosrc from pg_proc where oid = 'pgq.insert_event(text, text, text)'::regprocedure");
    assert!(src.contains("pg_notify('pgq_new_events', queue_name)"), "{src}");
}

#[test]
fn the_commit_tick_covers_an_event_whose_id_was_taken_before_the_last_tick() {
    let db = pgq_db();
    db.psql(
        "select pgq.create_queue('q'); select pgq.set_queue_config('q', 'ticker_max_count', '1'); \
         select pgq.register_consumer('q', 'c'); select pgq.insert_event('q', 'e', 'warm-up')",
    );
    super::tick(&db, "q");
    while super::next_batch(&db, "q", "c").is_some_and(|b| db.psql(&format!("select pgq.finish_batch({b})")) == "1") {}
    // The producer has its event id when a periodic tick comes, and commits after it.
    let mut producer = db.client();
    let mut tx = producer.transaction().unwrap();
    tx.execute("select pgq.insert_event('q', 'e', 'late')", &[]).unwrap();
    assert!(!db.psql("select pgq.ticker('q')").is_empty(), "the periodic tick sees a new id");
    tx.commit().unwrap();
    // pgq.ticker() sees no new id since, the commit tick sees the finished transaction.
    assert_eq!(db.psql("select pgq.ticker('q')"), "", "nothing new by the sequence");
    assert!(!db.psql("select pgq._tick_after_commit('q')").is_empty(), "a tick for the commit");
    assert_eq!(db.psql("select pgq._tick_after_commit('q')"), "", "and only one");
    let mut events = Vec::new();
    while let Some(b) = super::next_batch(&db, "q", "c") {
        events.extend(super::batch_events(&db, b));
        db.psql(&format!("select pgq.finish_batch({b})"));
    }
    assert_eq!(events, ["e:late"]);
}
