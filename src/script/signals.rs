//! Signal handling shared by every daemon: HUP asks for a reload, INT for a graceful stop after
//! the current unit of work (a second INT within a second exits at once), TERM for a prompt stop.
//! A watcher thread turns signals into flags and wakes `sleep`, so a daemon never sleeps through
//! a stop request and never needs a busy loop.

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use signal_hook::consts::{SIGHUP, SIGINT, SIGPIPE, SIGTERM};
use signal_hook::iterator::Signals as SignalIter;

#[derive(Debug, Default)]
struct Flags {
    reload: bool,
    stop: bool,
    terminate: bool,
    last_int: Option<Instant>,
    /// Removed on a double-^C fast exit, which skips destructors.
    pidfile: Option<PathBuf>,
    wake_count: u64,
}

/// A cloneable handle on the process's signal flags.
#[derive(Clone, Default)]
pub struct Signals {
    inner: Arc<(Mutex<Flags>, Condvar)>,
}

impl Signals {
    /// Starts the watcher thread. Call after daemonizing (threads do not survive fork).
    pub fn install() -> Result<Signals> {
        let signals = Signals::default();
        let mut iter = SignalIter::new([SIGHUP, SIGINT, SIGTERM, SIGPIPE]).context("installing signal handlers")?;
        let handle = signals.clone();
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                for sig in iter.forever() {
                    handle.deliver(sig);
                }
            })
            .context("starting signal thread")?;
        Ok(signals)
    }

    fn deliver(&self, sig: i32) {
        let (lock, cvar) = &*self.inner;
        let mut f = lock.lock().unwrap_or_else(|e| e.into_inner());
        match sig {
            SIGHUP => f.reload = true,
            SIGINT => {
                let now = Instant::now();
                if f.last_int.is_some_and(|t| now.duration_since(t) < Duration::from_secs(1)) {
                    log::warn!("Double ^C, fast exit");
                    if let Some(p) = &f.pidfile {
                        let _ = std::fs::remove_file(p);
                    }
                    std::process::exit(1);
                }
                log::info!("Got SIGINT, shutting down");
                f.last_int = Some(now);
                f.stop = true;
            }
            SIGTERM => {
                log::info!("Got SIGTERM, fast exit");
                f.terminate = true;
                f.stop = true;
            }
            _ => return,
        }
        f.wake_count += 1;
        cvar.notify_all();
    }

    fn with<T>(&self, f: impl FnOnce(&mut Flags) -> T) -> T {
        f(&mut self.inner.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn set_pidfile(&self, path: Option<PathBuf>) {
        self.with(|f| f.pidfile = path);
    }

    /// True once (per HUP) when a reload was asked for.
    pub fn take_reload(&self) -> bool {
        self.with(|f| std::mem::take(&mut f.reload))
    }

    /// INT or TERM received: finish the current unit of work and stop.
    pub fn stop_requested(&self) -> bool {
        self.with(|f| f.stop)
    }

    /// TERM received: stop without starting anything new.
    pub fn terminate_requested(&self) -> bool {
        self.with(|f| f.terminate)
    }

    /// Asks for a graceful stop from inside the process (tests, fatal conditions).
    pub fn request_stop(&self) {
        self.deliver_flag(|f| f.stop = true);
    }

    /// Wakes sleepers without setting a flag (e.g. a notification arrived).
    pub fn wake(&self) {
        self.deliver_flag(|_| ());
    }

    fn deliver_flag(&self, set: impl FnOnce(&mut Flags)) {
        let (lock, cvar) = &*self.inner;
        let mut f = lock.lock().unwrap_or_else(|e| e.into_inner());
        set(&mut f);
        f.wake_count += 1;
        cvar.notify_all();
    }

    /// Sleeps up to `dur`, returning early when a signal arrives. Returns true if woken early.
    pub fn sleep(&self, dur: Duration) -> bool {
        let deadline = Instant::now() + dur;
        let (lock, cvar) = &*self.inner;
        let mut f = lock.lock().unwrap_or_else(|e| e.into_inner());
        let start = f.wake_count;
        if f.stop || f.reload {
            return true;
        }
        loop {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            f = cvar.wait_timeout(f, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
            if f.wake_count != start {
                return true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleep_wakes_on_stop() {
        let s = Signals::default();
        let s2 = s.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            s2.request_stop();
        });
        let start = Instant::now();
        assert!(s.sleep(Duration::from_secs(10)));
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(s.stop_requested());
        assert!(!s.terminate_requested());
        t.join().unwrap();
    }

    #[test]
    fn reload_flag_is_taken_once() {
        let s = Signals::default();
        s.deliver(SIGHUP);
        assert!(s.take_reload());
        assert!(!s.take_reload());
    }
}
