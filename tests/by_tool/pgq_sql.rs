//! The pgq SQL schema (sql/pgq) against a real server: queues, producing, ticking, batches,
//! retry, rotation, maintenance, error texts, and installing over itself and over the original
//! PgQ extension without losing queued events.

use crate::support::Db;

/// A fresh database with our pgq installed.
fn pgq_db() -> Db {
    let db = Db::new();
    db.install(&["pgq"]);
    db
}

/// Makes the ticker tick `queue` now, each step in its own transaction as pgqd does.
fn tick(db: &Db, queue: &str) -> i64 {
    db.psql(&format!("select pgq.force_tick('{queue}')"));
    db.psql(&format!("select pgq.ticker('{queue}')")).parse().expect("a new tick id")
}

/// Opens the consumer's next batch; None when there is none.
fn next_batch(db: &Db, queue: &str, consumer: &str) -> Option<i64> {
    let v = db.psql(&format!("select pgq.next_batch('{queue}', '{consumer}')"));
    (!v.is_empty()).then(|| v.parse().unwrap())
}

/// `ev_type:ev_data` of the batch's events, in delivery order.
fn batch_events(db: &Db, batch: i64) -> Vec<String> {
    let out = db.psql(&format!("select ev_type || ':' || ev_data from pgq.get_batch_events({batch})"));
    out.lines().map(str::to_string).filter(|l| !l.is_empty()).collect()
}

/// Reads and finishes every batch that is ready; returns all their events.
fn drain(db: &Db, queue: &str, consumer: &str) -> Vec<String> {
    let mut all = Vec::new();
    while let Some(b) = next_batch(db, queue, consumer) {
        all.extend(batch_events(db, b));
        assert_eq!(db.psql(&format!("select pgq.finish_batch({b})")), "1");
    }
    all
}

/// The error text psql printed for a failing statement.
fn error_of(db: &Db, sql: &str) -> String {
    let out = db.psql_raw(sql);
    assert!(!out.status.success(), "expected failure: {sql}");
    let err = String::from_utf8_lossy(&out.stderr);
    err.lines().next().unwrap_or("").trim_start_matches("psql:").to_string()
}

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

#[test]
fn reinstall_keeps_tables_and_queued_events() {
    let db = pgq_db();
    db.psql("select pgq.create_queue('q'); select pgq.register_consumer('q', 'c')");
    db.psql("select pgq.insert_event('q', 'before', 'x')");
    tick(&db, "q");
    db.install(&["pgq"]);
    db.psql("select pgq.insert_event('q', 'after', 'y')");
    tick(&db, "q");
    assert_eq!(drain(&db, "q", "c"), ["before:x", "after:y"]);
}

#[test]
fn install_over_original_extension_keeps_queued_events() {
    let db = Db::new();
    let available = db.psql("select count(*) from pg_available_extensions where name = 'pgq'");
    if available != "1" {
        eprintln!("original pgq extension not available here; skipped");
        return;
    }
    db.psql("create extension pgq");
    db.psql("select pgq.create_queue('q'); select pgq.register_consumer('q', 'c')");
    db.psql("select pgq.insert_event('q', 'orig' || i, 'd' || i) from generate_series(1, 500) i");
    db.psql("select pgq.ticker('q')");
    db.psql("select pgq.insert_event('q', 'orig' || i, 'd' || i) from generate_series(501, 1000) i");

    db.install(&["pgq"]);
    assert_eq!(db.psql("select count(*) from pg_extension where extname = 'pgq'"), "0");
    assert_eq!(
        db.psql("select count(*) from pg_proc p join pg_language l on l.oid = p.prolang where p.pronamespace = 'pgq'::regnamespace and l.lanname = 'c'"),
        "0",
        "no C function of the original is left"
    );
    db.psql("select pgq.insert_event('q', 'ours', 'x')");
    tick(&db, "q");
    let events = drain(&db, "q", "c");
    assert_eq!(events.len(), 1001);
    assert_eq!(events[0], "orig1:d1");
    assert_eq!(events[999], "orig1000:d1000");
    assert_eq!(events[1000], "ours:x");
}

#[test]
fn wrong_names_give_the_original_errors() {
    let db = pgq_db();
    db.psql("select pgq.create_queue('q')");
    let cases = [
        ("select pgq.create_queue(null)", "Invalid NULL value"),
        ("select pgq.insert_event('nope', 't', 'd')", "No such queue"),
        ("select pgq.insert_event(null, 't', 'd')", "Queue name must not be NULL"),
        ("select pgq.register_consumer('nope', 'c')", "Event queue not created yet"),
        ("select pgq.register_consumer_at('q', 'c', 999)", "cannot reposition, tick not found: 999"),
        ("select pgq.next_batch('q', 'nobody')", "Not subscriber to queue: q/nobody"),
        ("select pgq.next_batch(null, null)", "Not subscriber to queue: NULL/NULL"),
        ("select * from pgq.get_batch_events(77)", "batch not found"),
        ("select * from pgq.batch_event_tables(77)", "Cannot find data for batch 77"),
        ("select pgq.event_retry(77, 1, 0)", "event not found"),
        ("select pgq.batch_retry(77, 0)", "batch_retry: batch 77 not found"),
        ("select pgq.ticker('nope')", "no such queue"),
        ("select pgq.ticker('q', 5, now(), 10)", "queue not found or ticker disabled: q"),
        ("select pgq.set_queue_config('q', 'foo', '1')", "cannot change parameter \"foos\""),
        ("select pgq.set_queue_config('nope', 'ticker_max_count', '1')", "No such event queue"),
        ("select pgq.current_event_table('nope')", "Event queue not found"),
        ("select pgq.drop_queue('nope')", "No such event queue"),
        (
            "select pgq.event_retry_raw('q', 'nobody', now(), null, now(), 0, 't', 'd', null, null, null, null)",
            "consumer not registered",
        ),
        ("select pgq.grant_perms('nope')", "Queue not found"),
    ];
    for (sql, msg) in cases {
        let err = error_of(&db, sql);
        assert!(err.ends_with(&format!("ERROR:  {msg}")), "{sql}: got {err:?}, want {msg:?}");
    }
    db.psql("select pgq.register_consumer('q', 'c')");
    assert!(error_of(&db, "select pgq.drop_queue('q')").ends_with("cannot drop queue, consumers still attached"));
    db.psql("update pgq.subscription set sub_last_tick = 999");
    assert!(error_of(&db, "select pgq.next_batch('q', 'c')")
        .ends_with("PgQ corruption: Consumer c on queue q does not see tick <NULL>"));
    db.psql("update pgq.queue set queue_ticker_paused = true");
    assert!(error_of(&db, "select pgq.ticker('q')").ends_with("Ticker has been paused for this queue"));
    db.psql("update pgq.queue set queue_ticker_paused = false, queue_external_ticker = true");
    assert!(error_of(&db, "select pgq.ticker('q')").ends_with("This queue has external tick source."));
    db.psql("update pgq.queue set queue_disable_insert = true");
    assert!(error_of(&db, "select pgq.insert_event('q', 't', 'd')").ends_with("Insert into queue disallowed"));
    assert!(error_of(&db, "select pgq.current_event_table('q')").ends_with("Writing to queue disabled"));
    assert_eq!(db.psql("set session_replication_role = replica; select pgq.insert_event('q', 't', 'd') > 0"), "t");
    let warn = db.psql_raw("select pgq.finish_batch(77)");
    assert!(String::from_utf8_lossy(&warn.stderr).contains("WARNING:  finish_batch: batch 77 not found"));
    assert_eq!(String::from_utf8_lossy(&warn.stdout).trim(), "0");
    assert_eq!(db.psql("select pgq.unregister_consumer('q', 'nobody')"), "0");
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
    // widened); far: more than 100 txids below (it is listed explicitly)
    for burn in [0, 150] {
        let db = pgq_db();
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
fn install_replaces_functions_declared_differently_by_older_versions() {
    let db = pgq_db();
    // what older PgQ releases looked like: other result columns, other argument names
    db.psql(
        "drop function pgq.next_batch_info(text, text);
         create function pgq.next_batch_info(i_queue_name text, i_consumer_name text, out batch_id int8)
             as 'select 1::int8' language sql;
         drop function pgq.register_consumer(text, text);
         create function pgq.register_consumer(queue text, consumer text) returns int4
             as 'select 0' language sql",
    );
    db.install(&["pgq"]);
    assert_eq!(
        db.psql("select pg_get_function_arguments('pgq.register_consumer(text,text)'::regprocedure)"),
        "x_queue_name text, x_consumer_id text"
    );
    db.psql("select pgq.create_queue('q')");
    assert_eq!(db.psql("select pgq.register_consumer('q', 'c')"), "1");
    assert_eq!(db.psql("select count(*) from pgq.next_batch_info('q', 'c') where cur_tick_id is null"), "1");
}

/// Names of the functions that sql/pgq/functions declares.
fn declared_function_names() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sql/pgq/functions");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for part in text.split("create or replace function pgq.").skip(1) {
            names.push(part.split('(').next().unwrap().to_string());
        }
    }
    names.sort();
    names.dedup();
    names
}

#[test]
fn list_of_declarations_in_drop_changed_matches_the_installed_functions() {
    let db = pgq_db();
    let file = include_str!("../../sql/pgq/structure/drop_changed.sql");
    let start = file.find("from (values").expect("values list") + "from (values".len();
    let end = file.find(") as ours(sig, args, result)").expect("end of list");
    let values = &file[start..end];
    let names = declared_function_names().iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ");
    let mismatches = db.psql(&format!(
        "with ours(sig, args, result) as (values {values})
         select 'declared differently: ' || ours.sig from ours
          left join pg_proc p on p.oid = to_regprocedure(ours.sig)
          where p.oid is null or pg_get_function_arguments(p.oid) <> ours.args
             or pg_get_function_result(p.oid) <> ours.result
         union all
         select 'missing from the list: ' || p.oid::regprocedure::text from pg_proc p
          where p.pronamespace = 'pgq'::regnamespace and p.proname in ({names})
            and p.oid::regprocedure::text not in (select sig from ours)"
    ));
    assert_eq!(mismatches, "");
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
fn queue_and_consumer_info_describe_the_state() {
    let db = pgq_db();
    db.psql("select pgq.create_queue('qa'); select pgq.create_queue('qb')");
    db.psql("select pgq.register_consumer('qb', 'c2'); select pgq.register_consumer('qb', 'c1')");
    db.psql("select pgq.insert_event('qb', 'e', i::text) from generate_series(1, 4) i");
    assert_eq!(
        db.psql("select queue_name, queue_ntables, queue_cur_table, queue_ticker_max_count, ev_new, last_tick_id from pgq.get_queue_info()"),
        "qa|3|0|500|0|1\nqb|3|0|500|3|1"
    );
    assert_eq!(db.psql("select queue_name from pgq.get_queue_info('qb')"), "qb");
    assert_eq!(db.psql("select count(*) from pgq.get_queue_info('nope')"), "0");
    db.psql("select pgq.set_queue_config('qb', 'ticker_max_count', '3')");
    db.psql("select pgq.ticker()");
    let b = next_batch(&db, "qb", "c1").unwrap();
    assert_eq!(
        db.psql("select queue_name, consumer_name, last_tick, current_batch is not null, next_tick, pending_events from pgq.get_consumer_info()"),
        "qb|c1|1|t|2|3\nqb|c2|1|f||3"
    );
    assert_eq!(db.psql("select count(*) from pgq.get_consumer_info('qb')"), "2");
    assert_eq!(db.psql("select consumer_name from pgq.get_consumer_info('qb', 'c2')"), "c2");
    assert_eq!(
        db.psql(&format!("select queue_name, consumer_name, prev_tick_id, tick_id, seq_start, seq_end, lag >= '0' from pgq.get_batch_info({b})")),
        "qb|c1|1|2|1|4|t"
    );
    assert_eq!(db.psql("select coalesce(queue_name, 'null') from pgq.get_batch_info(999)"), "null");
    // the first batch spans the queue's creation, which counts as the last switch: both tables
    assert_eq!(db.psql(&format!("select * from pgq.batch_event_tables({b})")), "pgq.event_2_2\npgq.event_2_0");
    assert!(db.psql(&format!("select pgq.batch_event_sql({b})")).ends_with(" order by 1"));
    assert_eq!(db.psql("select pgq.version() like '3.%'"), "t");
}

#[test]
fn maint_operations_lists_the_daemons_work_in_order() {
    let db = pgq_db();
    db.psql("select pgq.create_queue('myqueue'); select pgq.create_queue('other')");
    assert_eq!(db.psql("select count(*) from pgq.maint_operations()"), "0", "nothing due yet");
    db.psql("update pgq.queue set queue_extra_maint = '{baz,foo.bar}' where queue_name = 'myqueue'");
    db.psql("select pgq.set_queue_config('myqueue', 'rotation_period', '0')");
    assert_eq!(
        db.psql("select func_name || ':' || coalesce(func_arg, '-') from pgq.maint_operations()"),
        "pgq.maint_rotate_tables_step1:myqueue\npgq.maint_rotate_tables_step2:-\nbaz:myqueue\nfoo.bar:myqueue"
    );
    db.psql("select pgq.maint_rotate_tables_step1('myqueue')");
    assert_eq!(
        db.psql("select func_name || ':' || coalesce(func_arg, '-') from pgq.maint_operations()"),
        "pgq.maint_rotate_tables_step2:-\nbaz:myqueue\nfoo.bar:myqueue",
        "half-done rotation still needs step2"
    );
    assert_eq!(db.psql("select count(*) from pgq.maint_tables_to_vacuum()"), "0", "autovacuum is on");
}

#[test]
fn roles_give_producers_and_consumers_only_their_functions() {
    let db = pgq_db();
    let (w, r) = (format!("w_{}", db.name), format!("r_{}", db.name));
    db.psql(&format!("create role {w} in role pgq_writer; create role {r} in role pgq_reader"));
    db.psql("select pgq.create_queue('q')");
    let as_role = |role: &str, sql: &str| db.psql_raw(&format!("set role {role}; {sql}"));
    let denied = |role: &str, sql: &str, func: &str| {
        let out = as_role(role, sql);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(err.contains(&format!("permission denied for function {func}")), "{role} {sql}: {err}");
    };
    assert!(as_role(&w, "select pgq.insert_event('q', 't', 'd')").status.success());
    assert!(as_role(&w, "select pgq.insert_event('q', 't', 'd', 'a', 'b', 'c', 'd')").status.success());
    denied(&w, "select pgq.create_queue('x')", "create_queue");
    denied(&w, "select pgq.register_consumer('q', 'c')", "register_consumer");
    assert!(as_role(&r, "select pgq.register_consumer('q', 'c')").status.success());
    denied(&r, "select pgq.insert_event('q', 't', 'd')", "insert_event");
    tick(&db, "q");
    let out = as_role(&r, "select count(*) from pgq.get_batch_events(pgq.next_batch('q', 'c'))");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2");
    db.psql(&format!("drop role {w}; drop role {r}"));
}

#[test]
fn install_next_to_original_pgq_node_keeps_the_emptied_pgq_extension() {
    let db = Db::new();
    if db.psql("select count(*) from pg_available_extensions where name = 'pgq_node'") != "1" {
        eprintln!("original pgq_node extension not available here; skipped");
        return;
    }
    db.psql("create extension pgq_node cascade");
    db.psql("select pgq.create_queue('q'); select pgq.register_consumer('q', 'c')");
    db.psql("select pgq.insert_event('q', 'orig', '1')");
    let out = crate::support::skytools("skytools").args(["install", "pgq", "--db"]).arg(db.connstr()).output().unwrap();
    crate::support::assert_ok(&out, "skytools install");
    assert_eq!(db.psql("select extname from pg_extension where extname like 'pgq%' order by 1"), "pgq\npgq_node");
    assert_eq!(
        db.psql("select count(*) from pg_depend d, pg_extension e where e.extname = 'pgq' and d.refobjid = e.oid and d.deptype = 'e'"),
        "0",
        "no object of ours belongs to the old extension"
    );
    tick(&db, "q");
    assert_eq!(drain(&db, "q", "c"), ["orig:1"]);
}

#[test]
fn install_over_a_plain_sql_install_of_the_original() {
    let sharedir = std::process::Command::new(crate::support::bindir().join("pg_config")).arg("--sharedir").output();
    let Some(script) = sharedir
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string() + "/extension/pgq--3.5.sql")
        .and_then(|p| std::fs::read_to_string(p).ok())
    else {
        eprintln!("original pgq 3.5 SQL not available here; skipped");
        return;
    };
    let db = Db::new();
    // the extension script run by hand: no psql guard, no extension-only calls
    let plain: String = script
        .lines()
        .filter(|l| !l.starts_with('\\') && !l.contains("pg_extension_config_dump"))
        .map(|l| format!("{l}\n"))
        .collect();
    db.psql(&plain);
    assert_eq!(db.psql("select coalesce(pgq.version(), 'null')"), "null");
    db.psql("select pgq.create_queue('q'); select pgq.register_consumer('q', 'c')");
    db.psql("select pgq.insert_event('q', 'orig', i::text) from generate_series(1, 3) i");
    db.install(&["pgq"]);
    assert_eq!(db.psql("select pgq.version() like '3.%'"), "t", "pgqd accepts the database now");
    db.psql("select pgq.insert_event('q', 'ours', '4')");
    tick(&db, "q");
    assert_eq!(drain(&db, "q", "c"), ["orig:1", "orig:2", "orig:3", "ours:4"]);
}

#[test]
fn inserts_reach_the_right_table_of_many_queues() {
    let db = pgq_db();
    let queues: Vec<String> = (1..=9).map(|i| format!("q{i}")).collect();
    for q in &queues {
        db.psql(&format!("select pgq.create_queue('{q}'); select pgq.register_consumer('{q}', 'c')"));
    }
    assert_eq!(db.psql("select pgq.drop_queue('q4', true)"), "1");
    assert_eq!(db.psql("select count(*) from pg_class where relname like 'event_4%'"), "0");
    // q7 gets a table the generated code does not know: the slow path must still write it
    db.psql("update pgq.queue set queue_cur_table = 3, queue_ntables = 4 where queue_name = 'q7'");
    db.psql("create table pgq.event_7_3 () inherits (pgq.event_7)");
    for q in queues.iter().filter(|q| *q != "q4") {
        db.psql(&format!("select pgq.insert_event('{q}', 'a', '{q}'); select pgq.insert_event('{q}', 'b', '{q}', null, null, null, null)"));
        db.psql(&format!(
            "select pgq.insert_event_raw('{q}', null, null, null, null, 'c', '{q}', null, null, null, null)"
        ));
    }
    for q in queues.iter().filter(|q| *q != "q4") {
        let id: String = db.psql(&format!("select queue_id from pgq.queue where queue_name = '{q}'"));
        let table = db.psql(&format!("select pgq.current_event_table('{q}')"));
        let rows = db.psql(&format!("select string_agg(ev_type || ev_data, ',' order by ev_id) from {table}"));
        assert_eq!(rows, format!("a{q},b{q},c{q}"), "queue {q} (id {id}) wrote to {table}");
    }
    assert_eq!(db.psql("select count(*) from pgq.event_7_3"), "3");
}

#[test]
fn per_transaction_limit_counts_the_inserts_of_one_transaction() {
    let db = pgq_db();
    db.psql("select pgq.create_queue('q'); update pgq.queue set queue_per_tx_limit = 2");
    db.psql("begin; select pgq.insert_event('q', 't', '1'); select pgq.insert_event('q', 't', '2'); commit");
    let err = error_of(&db, "begin; select pgq.insert_event('q', 't', '1'); select pgq.insert_event('q', 't', '2'); select pgq.insert_event('q', 't', '3'); commit");
    assert!(err.ends_with("Queue 'q' allows max 2 events from one TX"), "{err}");
    for i in 4..=6 {
        db.psql(&format!("select pgq.insert_event('q', 't', '{i}')"));
    }
    db.psql("update pgq.queue set queue_per_tx_limit = 0");
    assert!(
        error_of(&db, "select pgq.insert_event('q', 't', '7')").ends_with("Queue 'q' allows max 0 events from one TX")
    );
    assert_eq!(db.psql("select count(*) from pgq.event_1_0"), "5");
}

#[test]
fn install_brings_an_older_schema_up_to_date() {
    let db = pgq_db();
    db.psql("select pgq.create_queue('q'); select pgq.register_consumer('q', 'c')");
    db.psql("select pgq.insert_event('q', 'kept', '1')");
    // the 3.2 layout: no queue_extra_maint, sub_last_tick NOT NULL
    db.psql("alter table pgq.queue drop column queue_extra_maint; alter table pgq.subscription alter column sub_last_tick set not null");
    db.install(&["pgq"]);
    assert_eq!(db.psql("select count(*) from pg_attribute where attrelid = 'pgq.queue'::regclass and attname = 'queue_extra_maint'"), "1");
    assert_eq!(db.psql("select attnotnull from pg_attribute where attrelid = 'pgq.subscription'::regclass and attname = 'sub_last_tick'"), "f");
    assert_eq!(db.psql("select pgq.upgrade_schema()"), "0");
    tick(&db, "q");
    assert_eq!(drain(&db, "q", "c"), ["kept:1"]);
}
