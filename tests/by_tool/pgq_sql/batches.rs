//! Consuming: batches, the visibility rule across long transactions, resuming, retry, rotation,
//! cursors, repositioning and custom batch sizes.

use super::{batch_events, drain, next_batch, pgq_db, tick};
use crate::support::Db;

#[test]
fn events_flow_from_producer_to_consumer_once() {
    let db = pgq_db();
    assert_eq!(db.psql("select pgq.create_queue('q')"), "1");
    assert_eq!(db.psql("select pgq.create_queue('q')"), "0");
    assert_eq!(db.psql("select pgq.register_consumer('q', 'c')"), "1");
    assert_eq!(db.psql("select pgq.register_consumer('q', 'c')"), "0");
    assert_eq!(db.psql("select pgq.insert_event('q', 't1', 'd1')"), "1");
    assert_eq!(db.psql("select pgq.insert_event('q', 't2', 'd2', 'x1', 'x2', 'x3', 'x4')"), "2");
    assert_eq!(next_batch(&db, "q", "c"), None, "no tick after registration yet");
    tick(&db, "q");
    let b = next_batch(&db, "q", "c").expect("batch");
    assert_eq!(next_batch(&db, "q", "c"), Some(b), "the open batch is returned again");
    assert_eq!(
        db.psql("select batch_id, prev_tick_id, cur_tick_id, prev_tick_event_seq < cur_tick_event_seq, prev_tick_time < cur_tick_time from pgq.next_batch_info('q', 'c')"),
        format!("{b}|1|2|t|t")
    );
    assert_eq!(batch_events(&db, b), ["t1:d1", "t2:d2"]);
    assert_eq!(
        db.psql(&format!(
            "select ev_extra1||ev_extra2||ev_extra3||ev_extra4 from pgq.get_batch_events({b}) where ev_id = 2"
        )),
        "x1x2x3x4"
    );
    assert_eq!(db.psql(&format!("select pgq.finish_batch({b})")), "1");
    assert_eq!(next_batch(&db, "q", "c"), None);
    tick(&db, "q");
    let b2 = next_batch(&db, "q", "c").expect("empty batch");
    assert!(batch_events(&db, b2).is_empty());
}

/// Consumes `n` autocommit transactions with txids, so that older txids fall far behind.
fn burn_txids(db: &Db, n: usize) {
    let mut c = db.client();
    for _ in 0..n {
        c.batch_execute("select txid_current()").unwrap();
    }
}

#[test]
fn transaction_open_across_ticks_is_delivered_once_after_commit() {
    // near: the long transaction's txid lies just below the next batch's range (the range is
    // widened); far: more than 100 txids below (it is listed explicitly). Txid distances are
    // cluster-wide, so other tests must not be spending txids meanwhile: a private cluster.
    let cluster = crate::support::Cluster::start();
    for burn in [0, 150] {
        let db = Db::in_cluster(&cluster);
        db.install(&["pgq"]);
        db.psql("select pgq.create_queue('q'); select pgq.register_consumer('q', 'c')");
        let mut long = db.client();
        long.batch_execute("begin; select pgq.insert_event('q', 'long', '1')").unwrap();
        let mut seen = Vec::new();
        for i in 0..3 {
            db.psql(&format!("select pgq.insert_event('q', 'short', '{i}')"));
            burn_txids(&db, burn / 3);
            tick(&db, "q");
            seen.extend(drain(&db, "q", "c"));
        }
        assert_eq!(seen, ["short:0", "short:1", "short:2"], "uncommitted event must wait");
        long.batch_execute("commit").unwrap();
        tick(&db, "q");
        let b = next_batch(&db, "q", "c").unwrap();
        let sql = db.psql(&format!("select pgq.batch_event_sql({b})"));
        assert_eq!(sql.contains(" in ("), burn > 0, "{sql}");
        assert_eq!(batch_events(&db, b), ["long:1"]);
        db.psql(&format!("select pgq.finish_batch({b})"));
        tick(&db, "q");
        assert!(drain(&db, "q", "c").is_empty(), "delivered twice");
    }
}

#[test]
fn consumer_that_dies_mid_batch_gets_the_same_batch_again() {
    let db = pgq_db();
    db.psql("select pgq.create_queue('q'); select pgq.register_consumer('q', 'c')");
    db.psql("select pgq.insert_event('q', 'e', i::text) from generate_series(1, 3) i");
    tick(&db, "q");
    let first = {
        let mut c = db.client();
        let b: i64 = c.query_one("select pgq.next_batch('q', 'c')", &[]).unwrap().get(0);
        let n: i64 = c.query_one("select count(*) from pgq.get_batch_events($1)", &[&b]).unwrap().get(0);
        assert_eq!(n, 3);
        b
        // the connection is dropped here without finish_batch
    };
    db.psql("select pgq.insert_event('q', 'e', '4')");
    tick(&db, "q");
    let again = next_batch(&db, "q", "c").unwrap();
    assert_eq!(again, first);
    assert_eq!(batch_events(&db, again), ["e:1", "e:2", "e:3"]);
    db.psql(&format!("select pgq.finish_batch({again})"));
    assert_eq!(drain(&db, "q", "c"), ["e:4"]);
}

#[test]
fn retried_event_comes_back_to_its_consumer_only() {
    let db = pgq_db();
    db.psql("select pgq.create_queue('q'); select pgq.register_consumer('q', 'c'); select pgq.register_consumer('q', 'other')");
    db.psql("select pgq.insert_event('q', 'e', i::text) from generate_series(1, 3) i");
    tick(&db, "q");
    assert_eq!(drain(&db, "q", "other").len(), 3);
    let b = next_batch(&db, "q", "c").unwrap();
    assert_eq!(db.psql(&format!("select pgq.event_retry({b}, 1, 0)")), "1");
    assert_eq!(db.psql(&format!("select pgq.event_retry({b}, 1, 0)")), "0", "already queued");
    assert_eq!(db.psql(&format!("select pgq.batch_retry({b}, 3600)")), "2", "the two not yet queued");
    db.psql(&format!("select pgq.finish_batch({b})"));
    assert_eq!(db.psql("select count(*) from pgq.retry_queue"), "3");
    assert_eq!(db.psql("select pgq.maint_retry_events()"), "1", "only the due one");
    assert_eq!(db.psql("select pgq.maint_retry_events()"), "0");
    tick(&db, "q");
    let b = next_batch(&db, "q", "c").unwrap();
    assert_eq!(
        db.psql(&format!("select ev_id || ':' || ev_retry || ':' || ev_data from pgq.get_batch_events({b})")),
        "1:1:1"
    );
    db.psql(&format!("select pgq.finish_batch({b})"));
    assert!(drain(&db, "q", "other").is_empty(), "retried events belong to their consumer");
    // event_retry_raw with a new id, and unregistering drops the consumer's retry rows
    assert_eq!(
        db.psql("select pgq.event_retry_raw('q', 'c', now(), null, now(), 0, 'r', 'raw', null, null, null, null) > 3"),
        "t"
    );
    assert_eq!(db.psql("select pgq.unregister_consumer('q', 'c')"), "1");
    assert_eq!(db.psql("select count(*) from pgq.retry_queue"), "0");
}

/// Runs one full rotation attempt as pgqd does: step1 and step2 in their own transactions.
fn rotate(db: &Db, queue: &str) -> i32 {
    db.psql(&format!("select pgq.maint_rotate_tables_step1('{queue}')"));
    db.psql("select pgq.maint_rotate_tables_step2()");
    db.psql(&format!("select queue_cur_table from pgq.queue where queue_name = '{queue}'")).parse().unwrap()
}

#[test]
fn rotation_waits_for_a_lagging_consumer_and_truncates_old_tables() {
    // Rotation waits for every transaction older than the switch, cluster-wide: other tests'
    // open transactions would hold it back, so this one gets a cluster of its own.
    let cluster = crate::support::Cluster::start();
    let db = Db::in_cluster(&cluster);
    db.install(&["pgq"]);
    db.psql("select pgq.create_queue('q'); select pgq.set_queue_config('q', 'rotation_period', '0')");
    db.psql("select pgq.register_consumer('q', 'fast'); select pgq.register_consumer('q', 'slow')");
    tick(&db, "q");
    drain(&db, "q", "fast");
    drain(&db, "q", "slow");
    db.psql("select pgq.insert_event('q', 'a', 'in table 0')");
    tick(&db, "q");
    assert_eq!(drain(&db, "q", "fast"), ["a:in table 0"]);
    assert_eq!(rotate(&db, "q"), 1, "slow has passed every old writer");
    db.psql("select pgq.insert_event('q', 'b', 'in table 1')");
    tick(&db, "q");
    assert_eq!(drain(&db, "q", "fast"), ["b:in table 1"]);
    for _ in 0..3 {
        assert_eq!(rotate(&db, "q"), 1, "slow still needs the previous table");
    }
    assert_eq!(db.psql("select count(*) from pgq.event_1_0"), "1");
    assert_eq!(drain(&db, "q", "slow"), ["a:in table 0", "b:in table 1"]);
    tick(&db, "q");
    drain(&db, "q", "fast");
    drain(&db, "q", "slow");
    assert_eq!(rotate(&db, "q"), 2);
    db.psql("select pgq.insert_event('q', 'c', 'in table 2')");
    tick(&db, "q");
    assert_eq!(drain(&db, "q", "fast"), ["c:in table 2"]);
    assert_eq!(drain(&db, "q", "slow"), ["c:in table 2"]);
    assert_eq!(rotate(&db, "q"), 0, "back to the first table");
    assert_eq!(db.psql("select count(*) from pgq.event_1_0"), "0", "emptied by TRUNCATE");
    db.psql("select pgq.insert_event('q', 'd', 'in table 0 again')");
    tick(&db, "q");
    assert_eq!(drain(&db, "q", "slow"), ["d:in table 0 again"]);
    assert_eq!(db.psql("select count(*) from pgq.event_1_2"), "1");
}

#[test]
fn batch_cursor_returns_first_rows_and_leaves_the_rest_to_fetch() {
    let db = pgq_db();
    db.psql("select pgq.create_queue('q'); select pgq.register_consumer('q', 'c')");
    db.psql("select pgq.insert_event('q', case when i % 2 = 0 then 'even' else 'odd' end, i::text) from generate_series(1, 5) i");
    tick(&db, "q");
    let b = next_batch(&db, "q", "c").unwrap();
    let out = db.psql(&format!(
        "begin;
         select ev_data from pgq.get_batch_cursor({b}, 'My Cursor', 2);
         fetch all from \"My Cursor\";
         close \"My Cursor\";
         select ev_data from pgq.get_batch_cursor({b}, 'evens', 10, 'ev_type = ''even''');
         select count(*) from pgq.get_batch_cursor({b}, 'none', 0);
         fetch all from none;
         commit"
    ));
    // FETCH returns whole rows: compare their ev_id column
    let first: Vec<&str> = out.lines().map(|l| l.split('|').next().unwrap()).collect();
    assert_eq!(first, ["1", "2", "3", "4", "5", "2", "4", "0", "1", "2", "3", "4", "5"]);
    assert_eq!(db.psql(&format!("select count(*) from pgq.get_batch_cursor({b}, null, 1)")), "0");
}

#[test]
fn register_at_a_tick_rewinds_the_consumer() {
    let db = pgq_db();
    db.psql("select pgq.create_queue('q'); select pgq.register_consumer('q', 'c')");
    db.psql("select pgq.insert_event('q', 'e', '1')");
    let t = tick(&db, "q");
    db.psql("select pgq.insert_event('q', 'e', '2')");
    tick(&db, "q");
    assert_eq!(drain(&db, "q", "c"), ["e:1", "e:2"]);
    let b = {
        db.psql("select pgq.insert_event('q', 'e', '3')");
        tick(&db, "q");
        next_batch(&db, "q", "c").unwrap()
    };
    assert_eq!(db.psql(&format!("select pgq.register_consumer_at('q', 'c', {t})")), "0");
    assert_eq!(
        db.psql(&format!("select count(*) from pgq.subscription where sub_batch = {b}")),
        "0",
        "open batch dropped"
    );
    assert_eq!(drain(&db, "q", "c"), ["e:2", "e:3"]);
    assert_eq!(db.psql(&format!("select pgq.register_consumer_at('q', 'late', {t})")), "1");
    assert_eq!(drain(&db, "q", "late"), ["e:2", "e:3"]);
}

#[test]
fn custom_batches_follow_size_interval_and_lag() {
    let db = pgq_db();
    db.psql("select pgq.create_queue('q'); select pgq.register_consumer('q', 'c')");
    // ticks 2..11, ten seconds and 100 events apart
    db.psql(
        "insert into pgq.tick (tick_queue, tick_id, tick_time, tick_event_seq)
         select 1, 1 + g, (select tick_time from pgq.tick where tick_id = 1) + g * interval '10 sec', 1 + g * 100
           from generate_series(1, 10) g",
    );
    let custom = |args: &str| {
        db.psql(&format!(
            "select batch_id is not null, cur_tick_id, prev_tick_id from pgq.next_batch_custom('q', 'c', {args})"
        ))
    };
    assert_eq!(custom("'1 hour', null, null"), "f||", "ticks are not old enough");
    assert_eq!(custom("null, 100000, null"), "f||", "not enough events yet");
    // the newest tick would be more than twice the asked size: the first big enough one instead
    assert_eq!(custom("null, 250, null"), "t|4|1");
    assert_eq!(custom("null, 250, null"), "t|4|1", "the open batch again");
    db.psql("select pgq.finish_batch(pgq.next_batch('q', 'c'))");
    assert_eq!(custom("null, null, '30 sec'"), "t|7|4");
    db.psql("select pgq.finish_batch(pgq.next_batch('q', 'c'))");
    assert_eq!(custom("null, 50, '1 hour'"), "t|8|7", "either criterion is enough");
    assert_eq!(
        db.psql("select next_tick_id from pgq.find_tick_helper(1, 1, (select tick_time from pgq.tick where tick_id = 1), 1, 600, null)"),
        "11",
        "within twice the size: the newest tick"
    );
}
