//! Delivery latency: a producer commits one event every INTERVAL_MS, a consumer takes each from
//! its batch, and the time from the producer's commit to the consumer seeing the event is
//! recorded (one process, one clock). The consumer either polls (`poll`: next_batch, then sleep
//! POLL_MS when there is none) or listens for pgqd's tick notifications (`listen`).
//! Prints `p50_ms=.. p99_ms=.. max_ms=.. events=..`. Used by bench/pgq_latency.sh.
//!
//!     cargo run --release --example latency -- CONNSTR QUEUE poll|listen POLL_MS COUNT INTERVAL_MS

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use skytools::pgq::{insert_event, listen, Consumer, EventStatus, NewEvent};
use skytools::script::db;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 6 {
        bail!("usage: latency CONNSTR QUEUE poll|listen POLL_MS COUNT INTERVAL_MS");
    }
    let (connstr, queue, mode) = (args[0].clone(), args[1].clone(), args[2].clone());
    let poll = Duration::from_millis(args[3].parse()?);
    let count: usize = args[4].parse()?;
    let interval = Duration::from_millis(args[5].parse()?);
    let listening = match mode.as_str() {
        "poll" => false,
        "listen" => true,
        _ => bail!("mode must be poll or listen"),
    };

    let mut client = db::connect_str(&connstr, "latency-consumer")?;
    let consumer = Consumer::new(&queue, "latency");
    consumer.unregister(&mut client)?;
    consumer.register(&mut client)?;
    if listening {
        listen::listen_for_ticks(&mut client)?;
    }

    let committed: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; count]));
    let producer = {
        let (connstr, queue, committed) = (connstr.clone(), queue.clone(), committed.clone());
        std::thread::spawn(move || -> Result<()> {
            let mut p = db::connect_str(&connstr, "latency-producer")?;
            for i in 0..count {
                insert_event(&mut p, &queue, &NewEvent::new("lat", &i.to_string()))?;
                committed.lock().unwrap()[i] = Some(Instant::now());
                std::thread::sleep(interval);
            }
            Ok(())
        })
    };

    let mut latencies = Vec::with_capacity(count);
    let deadline = Instant::now() + interval * count as u32 + Duration::from_secs(30);
    while latencies.len() < count && Instant::now() < deadline {
        let got = consumer.process_events(&mut client, |_, ev| {
            let seen = Instant::now();
            let i: usize = ev.data.as_deref().unwrap_or("").parse().context("event payload")?;
            // The producer records its commit right after COMMIT returns; a tick cannot be faster.
            let sent = loop {
                if let Some(t) = committed.lock().unwrap()[i] {
                    break t;
                }
                std::thread::yield_now();
            };
            latencies.push(seen.saturating_duration_since(sent).as_secs_f64() * 1000.0);
            Ok(EventStatus::Done)
        })?;
        if got.is_none() {
            if listening {
                listen::wait_for_tick(&mut client, &queue, Duration::from_secs(1))?;
            } else {
                std::thread::sleep(poll);
            }
        }
    }
    producer.join().expect("producer thread")?;
    consumer.unregister(&mut client)?;
    if latencies.len() < count {
        bail!("only {} of {count} events arrived", latencies.len());
    }
    latencies.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| latencies[((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1];
    println!("p50_ms={:.2} p99_ms={:.2} max_ms={:.2} events={}", pct(0.5), pct(0.99), pct(1.0), latencies.len());
    Ok(())
}
