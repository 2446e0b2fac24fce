//! A stop flag a worker can sleep on, from a thread or from a task of the ticker thread: the
//! sleep ends early when the supervisor stops the worker (database unregistered, shutdown), so
//! nothing ever polls.

use std::sync::{Condvar, Mutex};
use std::time::Instant;

#[derive(Debug, Default)]
pub struct Stopper {
    stopped: Mutex<bool>,
    cvar: Condvar,
    notify: tokio::sync::Notify,
}

impl Stopper {
    pub fn stop(&self) {
        *self.stopped.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.cvar.notify_all();
        self.notify.notify_waiters();
    }

    pub fn is_stopped(&self) -> bool {
        *self.stopped.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `sleep_until` for async tasks.
    pub async fn sleep_until_async(&self, deadline: Instant) -> bool {
        let notified = std::pin::pin!(self.notify.notified());
        let mut notified = notified;
        // Registered before the flag is read, so a stop in between still wakes us.
        notified.as_mut().enable();
        if self.is_stopped() {
            return true;
        }
        tokio::time::timeout_at(deadline.into(), notified).await.is_ok()
    }

    /// Sleeps until `deadline` or a stop; returns true when stopped.
    pub fn sleep_until(&self, deadline: Instant) -> bool {
        let mut stopped = self.stopped.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if *stopped {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            stopped = self.cvar.wait_timeout(stopped, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn stop_wakes_a_sleeper() {
        let s = Arc::new(Stopper::default());
        let s2 = s.clone();
        let t = std::thread::spawn(move || s2.sleep_until(Instant::now() + Duration::from_secs(30)));
        std::thread::sleep(Duration::from_millis(20));
        s.stop();
        assert!(t.join().unwrap());
        assert!(s.is_stopped());
    }
}
