//! Counters the workers bump and the supervisor reads: the periodic `{ticks: N, maint: N,
//! retry: N}` line (counts since the previous line) and the per-database state the metrics
//! endpoint reports (totals since start).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One served database as seen by its worker threads.
#[derive(Debug, Default)]
pub struct DbState {
    pub up: AtomicBool,
    /// The ticker found a usable pgq.
    pub has_pgq: AtomicBool,
    pub errors: AtomicU64,
    pub ticks: AtomicU64,
    pub maint_runs: AtomicU64,
    pub retried: AtomicU64,
    last_tick: Mutex<Option<Instant>>,
}

impl DbState {
    /// A tick that started at `at` worked (its reply may have been read a period later).
    pub fn ticked(&self, at: Instant) {
        self.ticks.fetch_add(1, Ordering::Relaxed);
        *self.last_tick.lock().unwrap_or_else(|e| e.into_inner()) = Some(at);
    }

    pub fn last_tick(&self) -> Option<Instant> {
        *self.last_tick.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// All databases, by name, plus the window counters of the stats line.
#[derive(Debug, Default)]
pub struct Stats {
    dbs: Mutex<BTreeMap<String, Arc<DbState>>>,
    window_ticks: AtomicU64,
    window_maint: AtomicU64,
    window_retry: AtomicU64,
}

impl Stats {
    /// The state of `db`, created on first use (shared by its worker threads).
    pub fn db(&self, db: &str) -> Arc<DbState> {
        self.dbs.lock().unwrap_or_else(|e| e.into_inner()).entry(db.to_string()).or_default().clone()
    }

    pub fn forget(&self, db: &str) {
        self.dbs.lock().unwrap_or_else(|e| e.into_inner()).remove(db);
    }

    /// Every served database with its state, by name.
    pub fn snapshot(&self) -> Vec<(String, Arc<DbState>)> {
        self.dbs.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    pub fn tick(&self, db: &DbState, at: Instant) {
        db.ticked(at);
        self.window_ticks.fetch_add(1, Ordering::Relaxed);
    }

    pub fn maint_round(&self, db: &DbState) {
        db.maint_runs.fetch_add(1, Ordering::Relaxed);
        self.window_maint.fetch_add(1, Ordering::Relaxed);
    }

    pub fn retried(&self, db: &DbState, n: u64) {
        db.retried.fetch_add(n, Ordering::Relaxed);
        self.window_retry.fetch_add(n, Ordering::Relaxed);
    }

    /// The stats line body, resetting the window.
    pub fn take_line(&self) -> String {
        format!(
            "{{ticks: {}, maint: {}, retry: {}}}",
            self.window_ticks.swap(0, Ordering::Relaxed),
            self.window_maint.swap(0, Ordering::Relaxed),
            self.window_retry.swap(0, Ordering::Relaxed)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_line_counts_since_the_previous_line() {
        let s = Stats::default();
        let a = s.db("a");
        s.tick(&a, Instant::now());
        s.tick(&a, Instant::now());
        s.maint_round(&a);
        s.retried(&a, 3);
        assert_eq!(s.take_line(), "{ticks: 2, maint: 1, retry: 3}");
        assert_eq!(s.take_line(), "{ticks: 0, maint: 0, retry: 0}");
        assert_eq!(a.ticks.load(Ordering::Relaxed), 2, "totals stay");
    }
}
