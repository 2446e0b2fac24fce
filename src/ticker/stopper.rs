//! A stop flag a worker task can sleep on: the sleep ends early when the supervisor stops the
//! worker (database unregistered, shutdown), so nothing ever polls.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tokio::sync::Notify;

#[derive(Debug, Default)]
pub struct Stopper {
    stopped: AtomicBool,
    notify: Notify,
}

impl Stopper {
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Resolves once stopped.
    pub async fn stopped(&self) {
        loop {
            let mut notified = std::pin::pin!(self.notify.notified());
            // Registered before the flag is read, so a stop in between still wakes us.
            notified.as_mut().enable();
            if self.is_stopped() {
                return;
            }
            notified.await;
        }
    }

    /// Sleeps until `deadline` or a stop; returns true when stopped.
    pub async fn sleep_until(&self, deadline: Instant) -> bool {
        let mut notified = std::pin::pin!(self.notify.notified());
        // Registered before the flag is read, so a stop in between still wakes us.
        notified.as_mut().enable();
        if self.is_stopped() {
            return true;
        }
        tokio::time::timeout_at(deadline.into(), notified).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn stop_wakes_a_sleeper() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let s = Arc::new(Stopper::default());
        let s2 = s.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            s2.stop();
        });
        let started = Instant::now();
        assert!(rt.block_on(s.sleep_until(Instant::now() + Duration::from_secs(30))));
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(rt.block_on(s.sleep_until(Instant::now() + Duration::from_secs(30))), "stays stopped");
    }
}
