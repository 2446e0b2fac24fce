//! One served database: its ticker task (which starts the maintenance thread once pgq is
//! found), the state both share with the supervisor, and how they connect. Each database has
//! its own connections and the ticker never blocks, so a slow or dead database never delays
//! another.

use std::sync::{Arc, Mutex, RwLock};

use anyhow::{Context, Result};
use postgres::config::Host;
use postgres::NoTls;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;
use tokio_postgres::AsyncMessage;

use super::settings::Settings;
use super::socket;
use super::stats::{DbState, Stats};
use super::stopper::Stopper;
use super::wakeup::{self, Wakeups};
use crate::script::db::error_text;
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
    /// Opens a maintenance connection to this database (`application_name` `pgqd maint`, or
    /// `pgqd metrics`); its messages are driven by a task of its own.
    pub async fn connect(&self, application_name: &str) -> Result<tokio_postgres::Client> {
        let connstr = self.shared.settings().connstr(&self.name);
        let cfg = async_config(&connstr.to_config(application_name)?);
        let (client, connection) =
            cfg.connect(NoTls).await.with_context(|| format!("cannot connect to '{connstr}'"))?;
        tokio::spawn(drive(connection, self.label.clone(), None));
        Ok(client)
    }

    /// Opens the ticker's connection (`application_name` `pgqd`), on a socket the thread is
    /// woken by only when there is something to read, and not even then while `reading` is
    /// deferred (see `socket`). Commit wake-ups arriving on it go to `wakeups`, which also
    /// learns when the connection ends.
    pub async fn connect_ticker(
        &self,
        wakeups: Arc<Wakeups>,
        reading: Arc<socket::Reading>,
    ) -> Result<tokio_postgres::Client> {
        let connstr = self.shared.settings().connstr(&self.name);
        let sync_cfg = connstr.to_config("pgqd")?;
        let connected = async {
            let sock = socket::connect(&sync_cfg, reading).await?;
            Ok::<_, anyhow::Error>(async_config(&sync_cfg).connect_raw(sock, NoTls).await?)
        };
        let (client, connection) = connected.await.with_context(|| format!("cannot connect to '{connstr}'"))?;
        tokio::spawn(drive(connection, self.label.clone(), Some(wakeups)));
        Ok(client)
    }
}

/// Reads a connection's messages until it ends. Server notices (pgq's "Dubious PgQ state"
/// warnings and the like) go to the debug log, as the C pgqd does not print them.
async fn drive<S, T>(mut connection: tokio_postgres::Connection<S, T>, label: String, wakeups: Option<Arc<Wakeups>>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut reason = "server closed the connection".to_string();
    while let Some(msg) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
        match msg {
            Ok(AsyncMessage::Notice(n)) => log::debug!("[{label}]: {}: {}", n.severity(), n.message()),
            Ok(AsyncMessage::Notification(n)) if n.channel() == wakeup::CHANNEL => {
                if let Some(w) = &wakeups {
                    w.push(n.payload());
                }
            }
            Ok(_) => {}
            // The client sees the same failure on its next query.
            Err(e) => {
                reason = error_text(&e);
                break;
            }
        }
    }
    if let Some(w) = &wakeups {
        w.close(reason);
    }
}

/// The same connection settings for tokio-postgres (the libpq rules live in `ConnStr`).
fn async_config(c: &postgres::Config) -> tokio_postgres::Config {
    let mut t = tokio_postgres::Config::new();
    for h in c.get_hosts() {
        match h {
            Host::Tcp(name) => t.host(name),
            Host::Unix(path) => t.host_path(path),
        };
    }
    for a in c.get_hostaddrs() {
        t.hostaddr(*a);
    }
    for p in c.get_ports() {
        t.port(*p);
    }
    if let Some(u) = c.get_user() {
        t.user(u);
    }
    if let Some(p) = c.get_password() {
        t.password(p);
    }
    if let Some(d) = c.get_dbname() {
        t.dbname(d);
    }
    if let Some(o) = c.get_options() {
        t.options(o);
    }
    if let Some(a) = c.get_application_name() {
        t.application_name(a);
    }
    if let Some(d) = c.get_connect_timeout() {
        t.connect_timeout(*d);
    }
    t.ssl_mode(c.get_ssl_mode()).target_session_attrs(c.get_target_session_attrs()).keepalives(c.get_keepalives());
    t
}

/// A running database worker, owned by the supervisor.
pub struct Worker {
    pub stop: Arc<Stopper>,
    handle: JoinHandle<()>,
}

impl Worker {
    /// Starts the database's ticker task on the ticker thread's runtime.
    pub fn spawn(name: &str, shared: Arc<Shared>, rt: &Handle) -> Worker {
        let stop = Arc::new(Stopper::default());
        let ctx = DbCtx {
            name: name.to_string(),
            label: label(name),
            state: shared.stats.db(name),
            shared,
            stop: stop.clone(),
        };
        let handle = rt.spawn(super::tick::run(Arc::new(ctx)));
        Worker { stop, handle }
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
