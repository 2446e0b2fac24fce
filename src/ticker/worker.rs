//! One served database: its ticker thread (which starts the maintenance thread once pgq is
//! found), the state both share with the supervisor, and how they connect. Each database has
//! its own threads and connections, so a slow or dead database never delays another.

use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use anyhow::{Context, Result};
use postgres::{Client, NoTls};

use super::settings::Settings;
use super::stats::{DbState, Stats};
use super::stopper::Stopper;
use crate::script::signals::Signals;

/// What every thread of the daemon shares.
pub struct Shared {
    settings: RwLock<Arc<Settings>>,
    pub stats: Stats,
    pub signals: Signals,
    /// Set by a worker that gave up (max_reconnect_failures): the daemon exits with it.
    fatal: Mutex<Option<String>>,
}

impl Shared {
    pub fn new(settings: Settings, signals: Signals) -> Shared {
        Shared { settings: RwLock::new(Arc::new(settings)), stats: Stats::default(), signals, fatal: Mutex::new(None) }
    }

    /// The current settings; a reload takes effect at each thread's next use.
    pub fn settings(&self) -> Arc<Settings> {
        self.settings.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set_settings(&self, s: Settings) {
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(s);
    }

    /// Asks the whole daemon to exit non-zero with `msg`.
    pub fn give_up(&self, msg: String) {
        self.fatal.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(msg);
        self.signals.wake();
    }

    pub fn fatal(&self) -> Option<String> {
        self.fatal.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Everything a thread of one database needs.
pub struct DbCtx {
    pub name: String,
    /// The name as logs show it: control characters replaced, as pgqd 3.5 does.
    pub label: String,
    pub shared: Arc<Shared>,
    pub state: Arc<DbState>,
    pub stop: Arc<Stopper>,
}

impl DbCtx {
    /// Opens a connection to this database. Server notices (pgq's "Dubious PgQ state" warnings
    /// and the like) go to the debug log, as the C pgqd does not print them.
    pub fn connect(&self) -> Result<Client> {
        let connstr = self.shared.settings().connstr(&self.name);
        let label = self.label.clone();
        let mut cfg = connstr.to_config("pgqd")?;
        cfg.notice_callback(move |n| log::debug!("[{label}]: {}: {}", n.severity(), n.message()));
        cfg.connect(NoTls).with_context(|| format!("cannot connect to '{connstr}'"))
    }
}

/// A running database worker, owned by the supervisor.
pub struct Worker {
    pub stop: Arc<Stopper>,
    handle: JoinHandle<()>,
}

impl Worker {
    pub fn spawn(name: &str, shared: Arc<Shared>) -> Result<Worker> {
        let stop = Arc::new(Stopper::default());
        let ctx = DbCtx {
            name: name.to_string(),
            label: label(name),
            state: shared.stats.db(name),
            shared,
            stop: stop.clone(),
        };
        let handle = std::thread::Builder::new()
            .name(format!("tick:{}", ctx.label))
            .spawn(move || super::tick::run(Arc::new(ctx)))?;
        Ok(Worker { stop, handle })
    }

    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }
}

/// A database name fit for a log line.
pub fn label(name: &str) -> String {
    name.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn labels_hide_control_characters() {
        assert_eq!(super::label("a\nb\tc"), "a?b?c");
    }
}
