//! Inserts N events into a queue with one COPY (the library's bulk producer) in one
//! transaction and reports the rate. Used by bench/pgq_producer.sh.
//!
//!     cargo run --release --example bulk_produce -- CONNSTR QUEUE N PAYLOAD

use std::time::Instant;

use anyhow::{bail, Result};
use skytools::pgq::{insert_events_bulk, NewEvent};
use skytools::script::db;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 4 {
        bail!("usage: bulk_produce CONNSTR QUEUE N PAYLOAD");
    }
    let n: u64 = args[2].parse()?;
    let mut client = db::connect_str(&args[0], "bulk_produce")?;
    let event = NewEvent::new("bench", &args[3]);
    let start = Instant::now();
    let mut tx = client.transaction()?;
    let done = insert_events_bulk(&mut tx, &args[1], (0..n).map(|_| &event))?;
    tx.commit()?;
    let secs = start.elapsed().as_secs_f64();
    println!("events={done} seconds={secs:.3} rate={:.0}", done as f64 / secs.max(1e-9));
    Ok(())
}
