//! A long-running consumer: registers, prints every event, and between batches either sleeps
//! for the loop delay or — with `--listen` — waits for pgqd's tick notification (waking at
//! the latest after the loop delay). Stop it with Ctrl-C: an unfinished batch comes again.
//!
//!     cargo run --example consumer -- CONNSTR QUEUE CONSUMER [--listen]

use std::time::Duration;

use anyhow::{bail, Result};
use skytools::pgq::{listen, Consumer, EventStatus};
use skytools::script::db;

const LOOP_DELAY: Duration = Duration::from_secs(1);

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        bail!("usage: consumer CONNSTR QUEUE CONSUMER [--listen]");
    }
    let listening = args.get(3).is_some_and(|a| a == "--listen");
    let mut client = db::connect_str(&args[0], &args[2])?;
    let consumer = Consumer::new(&args[1], &args[2]);
    if consumer.register(&mut client)? {
        println!("registered {} on {}", consumer.name, consumer.queue);
    }
    if listening {
        listen::listen_for_ticks(&mut client)?;
    }
    loop {
        let done = consumer.process_events(&mut client, |_, ev| {
            println!("{ev}");
            Ok(EventStatus::Done)
        })?;
        if done.is_some() {
            continue;
        }
        if listening {
            listen::wait_for_tick(&mut client, &consumer.queue, LOOP_DELAY)?;
        } else {
            std::thread::sleep(LOOP_DELAY);
        }
    }
}
