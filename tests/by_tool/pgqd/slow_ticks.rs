//! The periodic tick that pgqd writes to the socket itself and whose reply it reads at the next
//! slot (src/ticker/rawtick.rs): a tick slower than the period is waited for on the same
//! connection, and a tick the server refuses is reported with the server's message and served
//! again once the cause is gone.

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
