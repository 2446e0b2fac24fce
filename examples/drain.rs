//! Drains every batch that is ready for one consumer with the Rust library and reports the
//! event count, the rate and the process's peak memory. Used by the bounded-memory test and by
//! bench/pgq_consumer.sh.
//!
//!     cargo run --release --example drain -- CONNSTR QUEUE CONSUMER [FETCH_SIZE]

use std::time::Instant;

use anyhow::{bail, Result};
use skytools::pgq::{Consumer, EventStatus};
use skytools::script::db;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        bail!("usage: drain CONNSTR QUEUE CONSUMER [FETCH_SIZE]");
    }
    let fetch_size = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(skytools::pgq::batch::DEFAULT_FETCH_SIZE);
    let mut client = db::connect_str(&args[0], "drain")?;
    let consumer = Consumer::new(&args[1], &args[2]).with_fetch_size(fetch_size);
    let start = Instant::now();
    let (mut events, mut batches, mut bytes) = (0u64, 0u64, 0u64);
    while let Some(done) = consumer.process_events(&mut client, |_, ev| {
        // Touch the payload, as any real consumer would.
        bytes += ev.data.as_ref().map_or(0, |d| d.len() as u64);
        Ok(EventStatus::Done)
    })? {
        events += done.events;
        batches += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "events={events} batches={batches} bytes={bytes} seconds={secs:.3} rate={:.0} vmhwm_kb={}",
        events as f64 / secs.max(1e-9),
        peak_rss_kb()
    );
    Ok(())
}

/// VmHWM from /proc/self/status: the most resident memory this process ever had.
fn peak_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
