//! Commit-triggered ticks through the real pgqd: a queue with `ticker_on_commit` is ticked
//! soon after each commit even with a long ticker_period, while other queues wait for their
//! period; after a server restart pgqd listens again.

use super::Pgqd;
use crate::support::{assert_ok, skytools, wait_for, Cluster};

/// The events of the consumer's next batch on `queue` (finished at once); None when none is ready.
fn next_batch(c: &mut postgres::Client, queue: &str) -> Option<Vec<String>> {
    let batch: Option<i64> = c.query_one("select pgq.next_batch($1, 'c')", &[&queue]).unwrap().get(0);
    let batch = batch?;
    let rows = c.query("select ev_data from pgq.get_batch_events($1)", &[&batch]).unwrap();
    c.execute("select pgq.finish_batch($1)", &[&batch]).unwrap();
    Some(rows.iter().map(|r| r.get(0)).collect())
}

/// Waits (up to `secs`) for a batch of `queue` holding `data`.
fn delivered(c: &mut postgres::Client, queue: &str, data: &str, secs: f64) -> bool {
    wait_for(secs, || next_batch(c, queue).is_some_and(|evs| evs.iter().any(|e| e == data)))
}

#[test]
fn ticks_ticker_on_commit_queues_after_each_commit_and_after_a_restart() {
    let cluster = Cluster::start();
    cluster.db("app");
    assert_ok(
        &skytools("skytools").args(["install", "pgq", "--db"]).arg(cluster.connstr("app")).output().unwrap(),
        "installing our pgq",
    );
    let mut c = cluster.client("app");
    c.batch_execute(
        "select pgq.create_queue(q), pgq.set_queue_config(q, 'ticker_max_count', '1'), \
                pgq.register_consumer(q, 'c') from unnest('{hot,cold}'::text[]) q; \
         select pgq.set_queue_config('hot', 'ticker_on_commit', 'on'); \
         select pgq.insert_event(q, 'e', 'warm-up') from unnest('{hot,cold}'::text[]) q;",
    )
    .unwrap();
    // (pgq counts the first event of a fresh queue as no new event: the warm-up takes that.)
    // Periodic ticks this far apart cannot explain a delivery within seconds.
    let p = Pgqd::start(&[
        ("base_connstr", format!("host={} port={} user=postgres", cluster.socket_dir().display(), cluster.port())),
        ("database_list", "app".into()),
        ("ticker_period", "120".into()),
    ]);
    p.wait_log("[app]: ticker: ", 20.0);
    for q in ["hot", "cold"] {
        while next_batch(&mut c, q).is_some() {}
    }

    c.batch_execute("select pgq.insert_event('cold', 'e', 'cold 1'); select pgq.insert_event('hot', 'e', 'hot 1')")
        .unwrap();
    assert!(delivered(&mut c, "hot", "hot 1", 10.0), "hot ticked after its commit:\n{}", p.log());
    assert_eq!(next_batch(&mut c, "cold"), None, "cold waits for the periodic tick");
    p.wait_log("[app]: ticker: 1 queue(s) ticked after commits to hot", 5.0);

    cluster.restart();
    // Reconnecting at once, the first tick on the new connection takes cold's event.
    assert!(delivered(&mut cluster.client("app"), "cold", "cold 1", 30.0), "reconnected:\n{}", p.log());
    let mut c = cluster.client("app");
    c.batch_execute("select pgq.insert_event('hot', 'e', 'hot 2')").unwrap();
    assert!(delivered(&mut c, "hot", "hot 2", 10.0), "listening again after the restart:\n{}", p.log());
    assert!(p.log().contains("[app]: ticker failed: "), "the lost connection is reported:\n{}", p.log());
}

#[test]
fn a_queue_set_to_ticker_on_commit_while_pgqd_ticks_at_a_short_period_gets_commit_ticks() {
    let db = super::shared_db_with_queue(super::Pgq::Ours);
    db.psql("select pgq.set_queue_config('q', 'ticker_max_count', '1')");
    // At this period the ticker reads its ticks' replies itself, the socket unwatched.
    let p = Pgqd::start(&[
        ("base_connstr", super::base_connstr(&db)),
        ("database_list", db.name.clone()),
        ("ticker_period", "0.3".into()),
    ]);
    assert!(super::ticks_advance(|| Some(db.client()), 3, 20.0), "{}", p.log());
    assert!(!p.log().contains("after commits"), "no commit ticks yet:\n{}", p.log());
    db.psql("select pgq.set_queue_config('q', 'ticker_on_commit', 'on')");
    p.wait_log("a queue is set to ticker_on_commit: its commits wake the ticker", 10.0);
    assert!(
        wait_for(10.0, || {
            db.psql("select pgq.insert_event('q', 'e', 'x')");
            p.log().contains("queue(s) ticked after commits to q")
        }),
        "commit ticks:\n{}",
        p.log()
    );
    db.psql("select pgq.set_queue_config('q', 'ticker_on_commit', 'off')");
    p.wait_log("no queue is set to ticker_on_commit", 10.0);
}
