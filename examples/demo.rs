//! The PgQ library in one page: a queue, two producers (one event at a time, and a COPY bulk
//! load) running at once, a tick, and two consumers that each receive the whole stream.
//! `make demo` runs it against a throw-away cluster.
//!
//!     cargo run --example demo -- CONNSTR

use std::thread;

use anyhow::{Context, Result};
use skytools::pgq::{admin, insert_event, insert_events_bulk, Consumer, EventStatus, NewEvent};
use skytools::script::db;

const QUEUE: &str = "demo";

fn main() -> Result<()> {
    let connstr = std::env::args().nth(1).context("usage: demo CONNSTR")?;
    let mut client = db::connect_str(&connstr, "demo")?;

    admin::create_queue(&mut client, QUEUE)?;
    // Tick as soon as there is any event, so the demo need not wait for 500 events or 3 s.
    admin::set_queue_config(&mut client, QUEUE, "ticker_max_count", "1")?;
    println!("created queue '{QUEUE}'");
    let consumers = [Consumer::new(QUEUE, "billing"), Consumer::new(QUEUE, "audit")];
    for c in &consumers {
        c.register(&mut client)?;
        println!("registered consumer '{}'", c.name);
    }

    // Two producers at the same time, each in its own transaction.
    let single = {
        let connstr = connstr.clone();
        thread::spawn(move || -> Result<usize> {
            let mut c = db::connect_str(&connstr, "producer-1")?;
            for i in 1..=5 {
                let mut tx = c.transaction()?;
                insert_event(&mut tx, QUEUE, &NewEvent::new("order", &format!("order {i}")))?;
                tx.commit()?;
            }
            Ok(5)
        })
    };
    let bulk = {
        let connstr = connstr.clone();
        thread::spawn(move || -> Result<u64> {
            let mut c = db::connect_str(&connstr, "producer-2")?;
            let mut tx = c.transaction()?;
            let events = (1..=1000).map(|i| NewEvent::new("click", &format!("page={}&user={}", i % 7, i)));
            let n = insert_events_bulk(&mut tx, QUEUE, events)?;
            tx.commit()?;
            Ok(n)
        })
    };
    let n1 = single.join().expect("producer-1 panicked")?;
    let n2 = bulk.join().expect("producer-2 panicked")?;
    println!("producer-1 inserted {n1} events one by one (pgq.insert_event)");
    println!("producer-2 inserted {n2} events in one COPY into the current event table");

    // pgqd does this in production.
    let tick = admin::ticker(&mut client, Some(QUEUE))?;
    println!("ticker made tick {}", tick.map_or("none".into(), |t| t.to_string()));

    for c in &consumers {
        let mut by_type = std::collections::BTreeMap::<String, u64>::new();
        let mut first = None;
        while let Some(done) = c.process_events(&mut client, |_, ev| {
            *by_type.entry(ev.ev_type.clone().unwrap_or_default()).or_default() += 1;
            first.get_or_insert_with(|| ev.to_string());
            Ok(EventStatus::Done)
        })? {
            println!(
                "consumer '{}': batch {} (ticks {}..{}) with {} events",
                c.name, done.info.batch_id, done.info.prev_tick_id, done.info.cur_tick_id, done.events
            );
        }
        println!("consumer '{}': received {by_type:?}; first event {}", c.name, first.unwrap_or_default());
    }

    for ci in admin::consumer_info(&mut client, Some(QUEUE), None)? {
        println!(
            "consumer '{}' is at tick {}, {} events pending",
            ci.consumer_name,
            ci.last_tick.unwrap_or(0),
            ci.pending_events.unwrap_or(0)
        );
    }
    Ok(())
}
