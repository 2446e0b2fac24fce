//! Queues and producing: error texts, info functions, maintenance list, roles, the insert fast
//! path over many queues, per-transaction limit, external ticks and the small utilities.

use super::{error_of, next_batch, pgq_db, tick};

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
    assert!(as_role(&r, "select pgq.event_retry(pgq.next_batch('q', 'c'), 1, 0)").status.success());

    // what pgqd does, as a plain member of pgq_admin: ticks, retry, rotation, maintenance list
    let a = format!("a_{}", db.name);
    db.psql(&format!("create role {a} in role pgq_admin"));
    for sql in [
        "select pgq.create_queue('q2')",
        "select pgq.set_queue_config('q2', 'rotation_period', '0')",
        "select pgq.ticker()",
        "select pgq.maint_retry_events()",
        "select * from pgq.maint_operations()",
        "select pgq.maint_rotate_tables_step1('q2')",
        "select pgq.maint_rotate_tables_step2()",
    ] {
        let out = as_role(&a, sql);
        assert!(out.status.success(), "{a} {sql}: {}", String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(db.psql("select queue_cur_table from pgq.queue where queue_name = 'q2'"), "1", "rotated");
    assert!(as_role(&a, "select pgq.drop_queue('q2')").status.success());
    assert_eq!(db.psql("select count(*) from pgq.retry_queue"), "0", "the retry event was moved back");
    db.psql(&format!("drop role {w}; drop role {r}; drop role {a}"));
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
    // regenerating over unchanged queues is harmless
    assert_eq!(db.psql("select pgq._generate_insert_dispatch()"), "8");
    assert_eq!(db.psql("select pgq._generate_insert_dispatch()"), "8");
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
fn external_ticks_and_small_utilities() {
    let db = pgq_db();
    db.psql("select pgq.create_queue('q'); select pgq.set_queue_config('q', 'external_ticker', 'true')");
    assert_eq!(db.psql("select pgq.ticker('q', 50, '2020-01-01 00:00:00+00', 5000)"), "50");
    assert_eq!(db.psql("select tick_id || ' ' || tick_event_seq from pgq.tick where tick_id = 50"), "50 5000");
    assert_eq!(
        db.psql("select pgq.seq_getval('pgq.event_1_tick_seq') || ' ' || pgq.seq_getval('pgq.event_1_id_seq')"),
        "50 5000"
    );
    assert_eq!(db.psql("select pgq.ticker()"), "0", "external queues are not ticked internally");
    assert_eq!(db.psql("select pgq.force_tick('q')"), "50", "not forced, newest tick reported");
    db.psql("create sequence public.s1");
    assert_eq!(
        db.psql("select pgq.seq_setval('s1', 10), pgq.seq_setval('s1', 5), pgq.seq_setval('public.s1', 15)"),
        "10|10|15"
    );
    assert_eq!(
        db.psql("select pgq.quote_fqname('foo'), pgq.quote_fqname('Foo.Bar.baz')"),
        "public.foo|\"Foo\".\"Bar.baz\""
    );
    assert_eq!(db.psql("select pgq.tune_storage('nope'), pgq.tune_storage('q')"), "0|1");
    assert_eq!(
        db.psql("select reloptions::text from pg_class where oid = 'pgq.event_1_2'::regclass"),
        "{fillfactor=100,autovacuum_enabled=off}"
    );
    assert_eq!(
        db.psql("select relacl::text like '%pgq_reader=r/%' from pg_class where oid = 'pgq.event_1_0'::regclass"),
        "t",
        "event tables carry event_template's grants"
    );
}
