//! Producers, the ticker and a consumer running at once: every committed event arrives exactly
//! once, rolled-back ones never, whatever the interleaving of transactions and ticks.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use super::pgq_db;

/// A small deterministic pseudo-random sequence (no dependency needed for test shuffling).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn concurrent_producers_ticker_and_consumer_lose_and_repeat_nothing() {
    let db = Arc::new(pgq_db());
    db.psql("select pgq.create_queue('q'); select pgq.register_consumer('q', 'c')");
    let done = Arc::new(AtomicBool::new(false));

    let producers: Vec<_> = (0..4u64)
        .map(|p| {
            let db = db.clone();
            thread::spawn(move || {
                let mut c = db.client();
                let mut rnd = Lcg(p + 1);
                let mut committed = Vec::new();
                for t in 0..25 {
                    let mut tx = c.transaction().unwrap();
                    let mut ids = Vec::new();
                    for i in 0..=rnd.below(4) {
                        let data = format!("p{p}-t{t}-e{i}");
                        tx.execute("select pgq.insert_event('q', 'e', $1)", &[&data]).unwrap();
                        ids.push(data);
                        // some transactions stay open across several ticks
                        thread::sleep(Duration::from_millis(rnd.below(3) * 15));
                    }
                    if t % 5 == 4 {
                        tx.rollback().unwrap();
                    } else {
                        tx.commit().unwrap();
                        committed.extend(ids);
                    }
                }
                committed
            })
        })
        .collect();

    let ticker = {
        let (db, done) = (db.clone(), done.clone());
        thread::spawn(move || {
            let mut c = db.client();
            while !done.load(Ordering::SeqCst) {
                c.batch_execute("select pgq.force_tick('q')").unwrap();
                c.batch_execute("select pgq.ticker('q')").unwrap();
                thread::sleep(Duration::from_millis(10));
            }
        })
    };

    let consume = |c: &mut postgres::Client, got: &mut Vec<String>| -> bool {
        let b: Option<i64> = c.query_one("select pgq.next_batch('q', 'c')", &[]).unwrap().get(0);
        let Some(b) = b else { return false };
        for row in c.query("select ev_data from pgq.get_batch_events($1)", &[&b]).unwrap() {
            got.push(row.get(0));
        }
        c.execute("select pgq.finish_batch($1)", &[&b]).unwrap();
        true
    };
    let consumer = {
        let (db, done) = (db.clone(), done.clone());
        thread::spawn(move || {
            let mut c = db.client();
            let mut got = Vec::new();
            while !done.load(Ordering::SeqCst) {
                if !consume(&mut c, &mut got) {
                    thread::sleep(Duration::from_millis(5));
                }
            }
            got
        })
    };

    let mut expected: Vec<String> = producers.into_iter().flat_map(|p| p.join().unwrap()).collect();
    done.store(true, Ordering::SeqCst);
    ticker.join().unwrap();
    let mut got = consumer.join().unwrap();
    // whatever was still waiting: one more tick covers every commit above
    db.psql("select pgq.force_tick('q')");
    db.psql("select pgq.ticker('q')");
    let mut c = db.client();
    while consume(&mut c, &mut got) {}

    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for g in &got {
        *counts.entry(g.as_str()).or_default() += 1;
    }
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "delivered more than once: {repeated:?}");
    expected.sort();
    got.sort();
    assert_eq!(got.len(), expected.len(), "missing or extra events");
    assert_eq!(got, expected);
    assert!(expected.len() > 100, "the test produced too little to mean anything");
}
