//! The PgQ client library against a real server: producing (single and COPY bulk), consuming,
//! retries, crash and resume, coop subconsumers, the exactly-once remote consumer, bounded
//! memory on a huge batch, and waking on tick notifications.

use std::collections::BTreeSet;
use std::time::Duration;

use skytools::pgq::{admin, listen, Consumer, CoopConsumer, EventStatus, NewEvent, RemoteBatch, RemoteConsumer};

use crate::support::{self, Db};

/// A database with our pgq installed and one queue `q` that ticks whenever it has any new
/// event (instead of waiting for 500 events or 3 seconds).
fn queue_db(modules: &[&str]) -> Db {
    with_queue(Db::new(), modules)
}

fn with_queue(db: Db, modules: &[&str]) -> Db {
    db.install(modules);
    let mut c = db.client();
    admin::create_queue(&mut c, "q").unwrap();
    admin::set_queue_config(&mut c, "q", "ticker_max_count", "1").unwrap();
    db
}

fn tick(db: &Db) {
    db.psql("select pgq.ticker('q')");
}

/// Ticks after new events: the ticker decides from the event sequence, which inserts move.
fn insert_and_tick(db: &Db, n: usize, tag: &str) {
    db.psql(&format!("select pgq.insert_event('q', 'ev', '{tag}-' || i) from generate_series(1, {n}) i"));
    tick(db);
}

fn all_data(events: &[skytools::pgq::Event]) -> Vec<String> {
    events.iter().map(|e| e.data.clone().unwrap_or_default()).collect()
}

/// Drains everything ready for `consumer` and returns the events' data in arrival order.
fn drain(c: &mut postgres::Client, consumer: &Consumer) -> Vec<String> {
    let mut got = Vec::new();
    while consumer
        .process_events(c, |_, ev| {
            got.push(ev.data.clone().unwrap_or_default());
            Ok(EventStatus::Done)
        })
        .unwrap()
        .is_some()
    {}
    got
}

#[test]
fn single_and_bulk_events_arrive_intact_and_in_id_order() {
    let db = queue_db(&["pgq"]);
    let mut c = db.client();
    let consumer = Consumer::new("q", "reader").with_fetch_size(7);
    assert!(consumer.register(&mut c).unwrap());
    assert!(!consumer.register(&mut c).unwrap(), "second registration is a no-op");

    let odd = NewEvent {
        ev_type: Some("odd".into()),
        data: Some("tab\there\nnew line \\ backslash \r cr ünï".into()),
        extra1: Some("e1".into()),
        extra2: None,
        extra3: Some(String::new()),
        extra4: Some("\\N".into()),
    };
    let mut tx = c.transaction().unwrap();
    let first = skytools::pgq::insert_event(&mut tx, "q", &odd).unwrap();
    let bulk: Vec<NewEvent> = (0..1000).map(|i| NewEvent::new("bulk", &format!("row {i}"))).collect();
    assert_eq!(skytools::pgq::insert_events_bulk(&mut tx, "q", bulk.iter().chain([&odd])).unwrap(), 1001);
    tx.commit().unwrap();
    tick(&db);

    let mut events = Vec::new();
    let info = consumer
        .process_batch(&mut c, |tx, batch| {
            events = batch.remaining_events(tx)?;
            Ok(())
        })
        .unwrap()
        .unwrap();
    assert_eq!(events.len(), 1002);
    assert_eq!(events[0].id, first);
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids ascend: {ids:?}");
    for ev in [&events[0], &events[1001]] {
        assert_eq!(ev.ev_type, odd.ev_type);
        assert_eq!((&ev.data, &ev.extra1, &ev.extra2), (&odd.data, &odd.extra1, &odd.extra2));
        assert_eq!((&ev.extra3, &ev.extra4), (&odd.extra3, &odd.extra4));
        assert_eq!(ev.retry, None);
    }
    assert_eq!(all_data(&events[1..1001]), (0..1000).map(|i| format!("row {i}")).collect::<Vec<_>>());
    assert!(info.cur_tick_id > info.prev_tick_id);
    assert!(consumer.process_batch(&mut c, |_, _| Ok(())).unwrap().is_none(), "nothing left");
}

#[test]
fn bulk_insert_rolls_back_with_the_callers_transaction() {
    let db = queue_db(&["pgq"]);
    let mut c = db.client();
    let consumer = Consumer::new("q", "reader");
    consumer.register(&mut c).unwrap();
    let mut tx = c.transaction().unwrap();
    skytools::pgq::insert_events_bulk(&mut tx, "q", [&NewEvent::new("t", "lost")]).unwrap();
    skytools::pgq::insert_event(&mut tx, "q", &NewEvent::new("t", "lost too")).unwrap();
    tx.rollback().unwrap();
    insert_and_tick(&db, 1, "kept");
    assert_eq!(drain(&mut c, &consumer), vec!["kept-1"]);
}

#[test]
fn queue_and_consumer_info_are_typed() {
    let db = queue_db(&["pgq"]);
    let mut c = db.client();
    admin::create_queue(&mut c, "other").unwrap();
    assert!(!admin::create_queue(&mut c, "q").unwrap(), "exists already");
    admin::set_queue_config(&mut c, "q", "ticker_max_lag", "7 seconds").unwrap();
    Consumer::new("q", "a").register(&mut c).unwrap();
    insert_and_tick(&db, 5, "x");
    let qi = admin::queue_info(&mut c, None).unwrap();
    assert_eq!(qi.iter().map(|q| q.queue_name.as_str()).collect::<Vec<_>>(), ["other", "q"]);
    let q = &admin::queue_info(&mut c, Some("q")).unwrap()[0];
    assert_eq!((q.ntables, q.cur_table, q.ticker_max_lag, q.ticker_max_count), (3, 0, 7.0, 1));
    assert_eq!(q.last_tick_id, 2);
    assert!(admin::queue_info(&mut c, Some("nope")).unwrap().is_empty());
    let ci = admin::consumer_info(&mut c, Some("q"), None).unwrap();
    assert_eq!(ci.len(), 1);
    assert_eq!((ci[0].consumer_name.as_str(), ci[0].last_tick, ci[0].current_batch), ("a", Some(1), None));
    // Approximate by design: a fresh sequence reads 1 before its first value is taken.
    assert!(matches!(ci[0].pending_events, Some(4..=5)), "{:?}", ci[0].pending_events);
    assert!(admin::unregister_consumer(&mut c, "q", "a").unwrap());
    assert!(!admin::unregister_consumer(&mut c, "q", "a").unwrap());
    admin::drop_queue(&mut c, "other", false).unwrap();
    assert_eq!(admin::queue_info(&mut c, None).unwrap().len(), 1);
}

#[test]
fn retried_event_comes_back_only_to_the_consumer_that_retried_it() {
    let db = queue_db(&["pgq"]);
    let mut c = db.client();
    let (a, b) = (Consumer::new("q", "a"), Consumer::new("q", "b"));
    a.register(&mut c).unwrap();
    b.register(&mut c).unwrap();
    insert_and_tick(&db, 3, "e");
    let done = a
        .process_events(&mut c, |_, ev| {
            Ok(if ev.data.as_deref() == Some("e-2") { EventStatus::Retry(Duration::ZERO) } else { EventStatus::Done })
        })
        .unwrap()
        .unwrap();
    assert_eq!((done.events, done.retried), (3, 1));
    assert_eq!(drain(&mut c, &b), ["e-1", "e-2", "e-3"]);
    // pgqd's retry step, then a tick.
    assert_eq!(db.psql("select pgq.maint_retry_events()"), "1");
    tick(&db);
    let mut again = Vec::new();
    a.process_events(&mut c, |_, ev| {
        again.push((ev.data.clone().unwrap(), ev.retry));
        Ok(EventStatus::Done)
    })
    .unwrap();
    assert_eq!(again, [("e-2".to_string(), Some(1))]);
    assert!(drain(&mut c, &b).is_empty(), "b never sees a's retry");
}

#[test]
fn consumer_killed_mid_batch_resumes_with_nothing_lost_or_doubled() {
    let db = queue_db(&["pgq"]);
    db.psql("create table applied (data text primary key)");
    let mut c = db.client();
    let consumer = Consumer::new("q", "worker").with_fetch_size(10);
    consumer.register(&mut c).unwrap();
    let pid: i32 = c.query_one("select pg_backend_pid()", &[]).unwrap().get(0);
    insert_and_tick(&db, 100, "a");
    insert_and_tick(&db, 50, "b");

    // The server kills our connection after the 40th event of the first batch.
    let mut seen = 0;
    let err = consumer
        .process_events(&mut c, |tx, ev| {
            tx.execute("insert into applied values ($1)", &[&ev.data])?;
            seen += 1;
            if seen == 40 {
                db.psql(&format!("select pg_terminate_backend({pid})"));
            }
            Ok(EventStatus::Done)
        })
        .unwrap_err();
    assert!(skytools::script::db::anyhow_is_retryable(&err), "connection loss: {err:#}");
    assert_eq!(db.psql("select count(*) from applied"), "0", "the dead transaction left nothing");

    let mut c = db.client();
    let apply = |tx: &mut postgres::Transaction<'_>, ev: &skytools::pgq::Event| -> anyhow::Result<EventStatus> {
        tx.execute("insert into applied values ($1)", &[&ev.data])?;
        Ok(EventStatus::Done)
    };
    let first = consumer.process_events(&mut c, apply).unwrap().unwrap();
    assert_eq!(first.events, 100, "the same batch again");
    while consumer.process_events(&mut c, apply).unwrap().is_some() {}
    assert_eq!(db.psql("select count(*), count(distinct data) from applied"), "150|150");
}

#[test]
fn coop_subconsumers_share_the_stream_without_overlap() {
    let db = queue_db(&["pgq", "pgq_coop"]);
    let mut c1 = db.client();
    let mut c2 = db.client();
    let s1 = CoopConsumer::new("q", "group", "s1");
    let s2 = CoopConsumer::new("q", "group", "s2").with_dead_interval(Duration::from_secs(3600));
    assert!(s1.register(&mut c1).unwrap());
    assert!(s2.register(&mut c2).unwrap());
    for round in 0..4 {
        insert_and_tick(&db, 10, &format!("r{round}"));
    }
    // Both hold a batch at the same time: two different batches. (The hand-out is committed
    // at once: it locks the group meanwhile.)
    let hand_out = |s: &CoopConsumer, c: &mut postgres::Client| {
        let mut tx = c.transaction().unwrap();
        let b = s.next_batch(&mut tx).unwrap().unwrap();
        tx.commit().unwrap();
        b
    };
    let b1 = hand_out(&s1, &mut c1);
    let b2 = hand_out(&s2, &mut c2);
    assert_ne!(b1.id(), b2.id());
    let mut got = Vec::new();
    for (mut b, c) in [(b1, &mut c1), (b2, &mut c2)] {
        let mut tx = c.transaction().unwrap();
        got.extend(all_data(&b.remaining_events(&mut tx).unwrap()));
        b.finish(&mut tx).unwrap();
        tx.commit().unwrap();
    }
    for _ in 0..3 {
        for (s, c) in [(&s1, &mut c1), (&s2, &mut c2)] {
            s.process_batch(c, |tx, b| {
                got.extend(all_data(&b.remaining_events(tx)?));
                Ok(())
            })
            .unwrap();
        }
    }
    let expect: BTreeSet<String> = (0..4).flat_map(|r| (1..=10).map(move |i| format!("r{r}-{i}"))).collect();
    assert_eq!(got.len(), 40, "no event twice: {got:?}");
    assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), expect);
    let subs = admin::consumer_info(&mut c1, Some("q"), None).unwrap();
    let names: Vec<&str> = subs.iter().map(|s| s.consumer_name.as_str()).collect();
    assert_eq!(names, ["group", "group.s1", "group.s2"]);
    assert!(s1.unregister(&mut c1, false).unwrap());
}

#[test]
fn coop_subconsumer_takes_over_a_dead_siblings_batch() {
    let db = queue_db(&["pgq", "pgq_coop"]);
    let mut c = db.client();
    let dead = CoopConsumer::new("q", "group", "dead");
    let alive = CoopConsumer::new("q", "group", "alive").with_dead_interval(Duration::from_secs(60));
    dead.register(&mut c).unwrap();
    alive.register(&mut c).unwrap();
    insert_and_tick(&db, 5, "x");
    let mut tx = c.transaction().unwrap();
    let taken = dead.next_batch(&mut tx).unwrap().unwrap().id();
    tx.commit().unwrap();
    // The holder was last seen two minutes ago.
    db.psql("update pgq.subscription set sub_active = now() - interval '2 minutes' where sub_batch is not null");
    let mut events = Vec::new();
    let info = alive
        .process_batch(&mut c, |tx, b| {
            events = b.remaining_events(tx)?;
            Ok(())
        })
        .unwrap()
        .unwrap();
    assert_eq!(info.batch_id, taken);
    assert_eq!(all_data(&events), ["x-1", "x-2", "x-3", "x-4", "x-5"]);
}

#[test]
fn remote_consumer_applies_each_batch_exactly_once_across_a_crash() {
    let db = queue_db(&["pgq"]);
    let target = Db::new();
    target.install(&["pgq_ext"]);
    target.psql("create table applied (data text)");
    let mut src = db.client();
    let pid: i32 = src.query_one("select pg_backend_pid()", &[]).unwrap().get(0);
    let remote = RemoteConsumer::new(Consumer::new("q", "mover"));
    remote.consumer.register(&mut src).unwrap();
    insert_and_tick(&db, 20, "a");
    insert_and_tick(&db, 20, "b");

    let apply = |dst: &mut postgres::Transaction<'_>, ev: &skytools::pgq::Event| -> anyhow::Result<()> {
        dst.execute("insert into applied values ($1)", &[&ev.data])?;
        Ok(())
    };
    // The queue connection dies after all events were read: the target commits, the finish
    // on the queue database fails.
    let mut dst = target.client();
    let err = remote
        .process_batch(&mut src, &mut dst, |s, batch, d| {
            while let Some(ev) = batch.next_event(s)? {
                apply(d, &ev)?;
            }
            db.psql(&format!("select pg_terminate_backend({pid})"));
            Ok(())
        })
        .unwrap_err();
    assert!(skytools::script::db::anyhow_is_retryable(&err), "{err:#}");
    assert_eq!(target.psql("select count(*) from applied"), "20", "the target committed");

    let mut src = db.client();
    let again = remote.process_events(&mut src, &mut dst, apply).unwrap().unwrap();
    assert!(matches!(again, RemoteBatch::AlreadyApplied(_)), "{again:?}");
    let next = remote.process_events(&mut src, &mut dst, apply).unwrap().unwrap();
    assert!(matches!(next, RemoteBatch::Applied(_)), "{next:?}");
    assert!(remote.process_events(&mut src, &mut dst, apply).unwrap().is_none());
    assert_eq!(target.psql("select count(*), count(distinct data) from applied"), "40|40");
}

#[test]
fn draining_two_million_events_stays_under_64_mib() {
    // A private cluster: the drain holds one transaction open for a long time, and snapshots'
    // xmin is cluster-wide, so on the shared cluster it would hold other tests' rotations back.
    let cluster = support::Cluster::start();
    let db = with_queue(Db::in_cluster(&cluster), &["pgq"]);
    let mut c = db.client();
    Consumer::new("q", "big").register(&mut c).unwrap();
    // One transaction, one batch; 100-byte payloads make 2M events ~200 MB if held at once.
    // Written server-side into the current table (ids from the column default), the quickest
    // way to fill it.
    let table: String = c.query_one("select pgq.current_event_table('q')", &[]).unwrap().get(0);
    db.psql(&format!(
        "insert into {table} (ev_time, ev_type, ev_data) \
         select now(), 'big', rpad(i::text, 100, 'x') from generate_series(1, 2000000) i"
    ));
    tick(&db);
    let out = std::process::Command::new(example("drain")).args([&db.connstr(), "q", "big", "1000"]).output().unwrap();
    support::assert_ok(&out, "drain example");
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |k: &str| -> u64 {
        line.split_whitespace().find_map(|f| f.strip_prefix(&format!("{k}="))).unwrap().parse().unwrap()
    };
    assert_eq!(field("events"), 2_000_000, "{line}");
    assert_eq!(field("batches"), 1, "{line}");
    assert!(field("vmhwm_kb") < 64 * 1024, "peak RSS too high: {line}");
}

/// An example binary built next to the test binary (target/<profile>/examples/).
fn example(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|d| d.parent()).unwrap();
    let path = profile_dir.join("examples").join(name);
    assert!(path.exists(), "{} not built: run cargo build --examples", path.display());
    path
}

#[test]
fn listening_consumer_wakes_on_the_tick_notification() {
    let db = queue_db(&["pgq"]);
    let mut c = db.client();
    let consumer = Consumer::new("q", "listener");
    consumer.register(&mut c).unwrap();
    listen::listen_for_ticks(&mut c).unwrap();
    let ticker = {
        let connstr = db.connstr();
        std::thread::spawn(move || {
            let mut t = skytools::script::db::connect_str(&connstr, "ticker").unwrap();
            std::thread::sleep(Duration::from_millis(300));
            t.batch_execute("select pgq.insert_event('other', 'x', 'x') from pgq.queue where false").unwrap();
            t.batch_execute("select pgq.insert_event('q', 'ev', 'woke')").unwrap();
            t.batch_execute("notify pgq_ticker, 'other'").unwrap();
            t.batch_execute("select pgq.ticker('q'); notify pgq_ticker, 'q'").unwrap();
        })
    };
    // A poll delay far beyond any test timeout: only the notification can end the wait.
    assert!(listen::wait_for_tick(&mut c, "q", Duration::from_secs(3600)).unwrap());
    ticker.join().unwrap();
    assert_eq!(drain(&mut c, &consumer), ["woke"]);
    assert!(!listen::wait_for_tick(&mut c, "q", Duration::from_millis(10)).unwrap(), "no tick pending");
}

#[test]
fn library_works_on_the_original_c_extension_too() {
    let db = Db::new();
    db.psql("create extension pgq");
    let mut c = db.client();
    admin::create_queue(&mut c, "q").unwrap();
    admin::set_queue_config(&mut c, "q", "ticker_max_count", "1").unwrap();
    let consumer = Consumer::new("q", "reader").with_fetch_size(3);
    consumer.register(&mut c).unwrap();
    skytools::pgq::insert_event(&mut c, "q", &NewEvent::new("one", "single")).unwrap();
    let bulk: Vec<_> = (1..=10).map(|i| NewEvent::new("many", &format!("b{i}"))).collect();
    skytools::pgq::insert_events_bulk(&mut c, "q", &bulk).unwrap();
    tick(&db);
    let mut expect = vec!["single".to_string()];
    expect.extend((1..=10).map(|i| format!("b{i}")));
    assert_eq!(drain(&mut c, &consumer), expect);
    assert_eq!(admin::consumer_info(&mut c, Some("q"), None).unwrap()[0].current_batch, None);
}

/// A foreground pgqd, killed on drop (before its config dir goes).
struct Pgqd {
    child: std::process::Child,
    _dir: support::TempDir,
}

impl Drop for Pgqd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn listening_consumer_is_woken_by_pgqd_without_polling() {
    let db = queue_db(&["pgq"]);
    let mut c = db.client();
    let consumer = Consumer::new("q", "listener");
    consumer.register(&mut c).unwrap();
    listen::listen_for_ticks(&mut c).unwrap();
    let dir = support::TempDir::new("pgqd-listen");
    let cluster = db.cluster();
    std::fs::write(
        dir.join("pgqd.ini"),
        format!(
            "[pgqd]\nbase_connstr = host={} port={} user=postgres\ndatabase_list = {}\nticker_period = 0.1\n\
             logfile = {}\npidfile = {}\nsyslog = 0\n",
            cluster.socket_dir().display(),
            cluster.port(),
            db.name,
            dir.join("pgqd.log").display(),
            dir.join("pgqd.pid").display()
        ),
    )
    .unwrap();
    let child = support::skytools("pgqd").arg(dir.join("pgqd.ini")).spawn().unwrap();
    let _pgqd = Pgqd { child, _dir: dir };
    db.psql("select pgq.insert_event('q', 'ev', 'from pgqd')");
    // A poll delay far beyond any test timeout: only pgqd's notifications end the waits. The
    // first may announce an idle tick made before the event.
    let mut got = Vec::new();
    for _ in 0..5 {
        assert!(listen::wait_for_tick(&mut c, "q", Duration::from_secs(3600)).unwrap());
        got.extend(drain(&mut c, &consumer));
        if !got.is_empty() {
            break;
        }
    }
    assert_eq!(got, ["from pgqd"]);
}
