//! Commit-triggered ticks: in our pgq, a queue set to `ticker_on_commit` makes every transaction
//! that writes events into it send `NOTIFY pgq_new_events, '<queue>'`, which PostgreSQL delivers
//! at commit (once per transaction and queue, never on rollback). pgqd LISTENs on each ticker
//! connection; the connection's task collects the queue names here and wakes the ticker task,
//! which ticks those queues without waiting for the next ticker_period. It also says when the
//! connection is gone, so that the ticker reconnects (and LISTENs again) at once rather than at
//! its next tick, which may be a long ticker_period away.

use std::collections::BTreeSet;
use std::sync::Mutex;

use tokio::sync::Notify;

/// The channel producers notify; the payload is the queue name.
pub const CHANNEL: &str = "pgq_new_events";

/// Anybody may NOTIFY any channel: past this many distinct names between two ticks, pgqd stops
/// collecting and ticks every queue instead.
const MAX_QUEUES: usize = 1000;

/// What the wake-ups since the last look ask for.
#[derive(Debug, PartialEq)]
pub enum Wanted {
    Queues(Vec<String>),
    /// Too many names: a full tick.
    All,
}

/// The wake-ups of one ticker connection, shared by the ticker task and the connection's task.
#[derive(Debug, Default)]
pub struct Wakeups {
    pending: Mutex<Pending>,
    arrived: Notify,
}

#[derive(Debug, Default)]
struct Pending {
    queues: BTreeSet<String>,
    overflow: bool,
    /// Why the connection ended, once it has.
    closed: Option<String>,
}

impl Wakeups {
    /// A commit into `queue` was announced.
    pub fn push(&self, queue: &str) {
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if !p.overflow && !p.queues.contains(queue) {
            if p.queues.len() >= MAX_QUEUES {
                p.overflow = true;
                p.queues.clear();
            } else {
                p.queues.insert(queue.to_string());
            }
        }
        drop(p);
        // Stores a permit when the ticker is busy: a burst becomes one wake-up.
        self.arrived.notify_one();
    }

    /// The connection ended (server restart, network): no more wake-ups will come through it.
    pub fn close(&self, reason: String) {
        self.pending.lock().unwrap_or_else(|e| e.into_inner()).closed.get_or_insert(reason);
        self.arrived.notify_one();
    }

    /// Why the connection ended, if it has.
    pub fn closed(&self) -> Option<String> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner()).closed.clone()
    }

    /// Resolves when something was pushed (or the connection closed) since the previous
    /// wake-up was consumed.
    pub async fn arrived(&self) {
        self.arrived.notified().await
    }

    /// Takes what was asked for since the last call; None when nothing was.
    pub fn take(&self) -> Option<Wanted> {
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if p.queues.is_empty() && !p.overflow {
            return None;
        }
        let queues = std::mem::take(&mut p.queues);
        if std::mem::take(&mut p.overflow) {
            Some(Wanted::All)
        } else if queues.is_empty() {
            None
        } else {
            Some(Wanted::Queues(queues.into_iter().collect()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_one_set_of_names_and_a_flood_is_a_full_tick() {
        let w = Wakeups::default();
        assert_eq!(w.take(), None);
        for q in ["b", "a", "b", "a"] {
            w.push(q);
        }
        assert_eq!(w.take(), Some(Wanted::Queues(vec!["a".into(), "b".into()])));
        assert_eq!(w.take(), None);
        for i in 0..=MAX_QUEUES {
            w.push(&i.to_string());
        }
        assert_eq!(w.take(), Some(Wanted::All));
        assert_eq!(w.take(), None);
        assert_eq!(w.closed(), None);
        w.close("gone".into());
        w.close("again".into());
        assert_eq!(w.take(), None);
        assert_eq!(w.closed().as_deref(), Some("gone"), "the first reason stays");
    }
}
