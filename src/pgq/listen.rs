//! Waking a consumer as soon as the ticker made a tick, instead of polling: pgqd sends
//! `NOTIFY pgq_ticker, '<queue>'` after ticking a queue. A consumer that listens waits on its
//! connection for that and still wakes after the poll delay, so a ticker that does not notify
//! (or a lost notification) only costs latency.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, Notification};

/// The channel pgqd notifies after ticks; the payload is the queue name.
pub const TICK_CHANNEL: &str = "pgq_ticker";

/// Starts listening for ticks on this connection. Notifications arrive between transactions,
/// so the connection should not sit inside one while waiting.
pub fn listen_for_ticks(client: &mut Client) -> Result<()> {
    client.batch_execute(&format!("listen {TICK_CHANNEL}")).context("listening for ticks")
}

/// Waits until a tick of `queue` is announced or `max_wait` passes; true if a tick came.
/// Announcements that arrived while the connection was busy count at once.
pub fn wait_for_tick(client: &mut Client, queue: &str, max_wait: Duration) -> Result<bool> {
    let ours = |n: &Notification| n.channel() == TICK_CHANNEL && n.payload() == queue;
    let mut notes = client.notifications();
    // Those that arrived while the connection was busy come first, without waiting.
    let mut pending = notes.iter();
    while let Some(n) = pending.next().context("reading notifications")? {
        if ours(&n) {
            return Ok(true);
        }
    }
    drop(pending);
    let deadline = Instant::now() + max_wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(false);
        }
        match notes.timeout_iter(left).next().context("waiting for a tick")? {
            Some(n) if ours(&n) => return Ok(true),
            Some(_) => continue,
            None => return Ok(false),
        }
    }
}
