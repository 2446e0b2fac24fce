//! What a worker does after a failure: log the server's full message the first time, then only
//! once a minute with a count (a database down for an hour must not fill the log), and wait a
//! short, growing delay before reconnecting so a restarted server is served again within seconds.

use std::time::{Duration, Instant};

/// Repeats of the same trouble are summarised at most this often.
const REPEAT_LOG_EVERY: Duration = Duration::from_secs(60);
const FIRST_RETRY: Duration = Duration::from_millis(500);
/// The longest pause between reconnects; the C pgqd waited a fixed 60 s.
const MAX_RETRY: Duration = Duration::from_secs(8);

#[derive(Debug, Default)]
pub struct Failures {
    /// Consecutive failures since the last success.
    count: u32,
    last_logged: Option<Instant>,
    unlogged: u32,
}

impl Failures {
    /// Records one failure and logs it when due. Returns the pause before the next attempt.
    pub fn failed(&mut self, db: &str, what: &str, msg: &str) -> Duration {
        self.count += 1;
        let due = !matches!(self.last_logged, Some(t) if t.elapsed() < REPEAT_LOG_EVERY);
        if due {
            if self.count == 1 {
                log::error!("[{db}]: {what}: {msg}");
            } else {
                log::error!("[{db}]: {what}: {msg} (failed {} times since the last report)", self.unlogged + 1);
            }
            self.last_logged = Some(Instant::now());
            self.unlogged = 0;
        } else {
            log::debug!("[{db}]: {what}: {msg}");
            self.unlogged += 1;
        }
        let doublings = self.count.saturating_sub(1).min(8);
        (FIRST_RETRY * 2u32.pow(doublings)).min(MAX_RETRY)
    }

    /// A success after failures: say so once and start over.
    pub fn recovered(&mut self, db: &str) {
        if self.count > 0 {
            log::info!("[{db}]: working again after {} failed attempts", self.count);
        }
        *self = Failures::default();
    }

    pub fn consecutive(&self) -> u32 {
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_a_cap_and_resets() {
        let mut f = Failures::default();
        let waits: Vec<Duration> = (0..7).map(|_| f.failed("x", "connect", "down")).collect();
        assert_eq!(waits[0], Duration::from_millis(500));
        assert_eq!(waits[1], Duration::from_secs(1));
        assert_eq!(waits[6], MAX_RETRY);
        assert_eq!(f.consecutive(), 7);
        f.recovered("x");
        assert_eq!(f.consecutive(), 0);
        assert_eq!(f.failed("x", "connect", "down"), Duration::from_millis(500));
    }
}
