//! The periodic tick that pgqd writes to the socket itself and whose reply it reads at the next
//! slot (src/ticker/rawtick.rs): a tick slower than the period is waited for on the same
//! connection, and a tick the server refuses is reported with the server's message and served
//! again once the cause is gone; the same over TCP, with a killed backend.

use super::{base_connstr, pgqd_backend, shared_db_with_queue, ticks_advance, Pgq, Pgqd};

#[test]
fn a_tick_slower_than_the_period_is_waited_for_and_a_refused_one_is_reported() {
    let db = shared_db_with_queue(Pgq::Ours);
    let p = Pgqd::start(&[
        ("base_connstr", base_connstr(&db)),
        ("database_list", db.name.clone()),
        ("ticker_period", "0.05".into()),
        ("maint_period", "600".into()),
        ("retry_period", "600".into()),
    ]);
    assert!(ticks_advance(|| Some(db.client()), 3, 20.0), "{}", p.log());
    let backend = pgqd_backend(&db).expect("pgqd connected");

    // Every tick reads pgq.queue: held for 20 periods, one tick waits that long.
    let mut locker = db.client();
    let mut tx = locker.transaction().unwrap();
    tx.batch_execute("lock table pgq.queue in access exclusive mode").unwrap();
    let waiting = || {
        db.client()
            .query_one("select count(*) from pg_stat_activity where pid = $1 and wait_event_type = 'Lock'", &[&backend])
            .unwrap()
            .get::<_, i64>(0)
            == 1
    };
    assert!(crate::support::wait_for(10.0, waiting), "the tick waits for the lock:\n{}", p.log());
    std::thread::sleep(std::time::Duration::from_secs(1));
    tx.commit().unwrap();
    assert!(ticks_advance(|| Some(db.client()), 3, 20.0), "ticks after the slow one:\n{}", p.log());
    assert_eq!(pgqd_backend(&db), Some(backend), "the same connection:\n{}", p.log());
    assert!(!p.log().contains("ticker failed"), "{}", p.log());

    // A tick of a queue with a new event now fails in the server.
    db.psql("alter table pgq.tick add constraint no_new_ticks check (false) not valid");
    db.psql("select pgq.insert_event('q', 'x', 'y')");
    p.wait_log("violates check constraint \"no_new_ticks\"", 20.0);
    db.psql("alter table pgq.tick drop constraint no_new_ticks");
    assert!(ticks_advance(|| Some(db.client()), 3, 20.0), "served again:\n{}", p.log());
}

#[test]
fn ticks_over_tcp_and_comes_back_after_its_backend_is_killed() {
    let cluster = crate::support::Cluster::start_with_tcp();
    let connstr = cluster.db("app");
    crate::support::assert_ok(
        &crate::support::skytools("skytools").args(["install", "pgq", "--db", &connstr]).output().unwrap(),
        "installing our pgq",
    );
    super::pgq_queue(&mut cluster.client("app"), "q");
    let p = Pgqd::start(&[
        ("base_connstr", format!("host=127.0.0.1 port={} user=postgres", cluster.port())),
        ("database_list", "app".into()),
        ("ticker_period", "0.05".into()),
    ]);
    assert!(ticks_advance(|| Some(cluster.client("app")), 5, 20.0), "{}", p.log());
    let tcp = cluster
        .client("app")
        .query_one(
            "select count(*) from pg_stat_activity where application_name = 'pgqd' and client_addr is not null",
            &[],
        )
        .unwrap()
        .get::<_, i64>(0);
    assert_eq!(tcp, 1, "the ticker connects over TCP");
    cluster
        .client("app")
        .batch_execute("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'pgqd'")
        .unwrap();
    p.wait_log("[app]: ticker failed: ", 10.0);
    assert!(ticks_advance(|| Some(cluster.client("app")), 5, 20.0), "ticks again:\n{}", p.log());
}
