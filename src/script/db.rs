//! Database access for every tool: connecting from a libpq string with the job name as
//! application_name, telling retryable failures from real errors, one-line error text with the
//! server's message, and a connection that reconnects after loss or after its lifetime.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use postgres::error::SqlState;
use postgres::{Client, NoTls};

use super::connstr::ConnStr;

/// Opens a connection; the error names the (password-free) connect string.
pub fn connect(connstr: &ConnStr, application_name: &str) -> Result<Client> {
    let cfg = connstr.to_config(application_name)?;
    cfg.connect(NoTls).map_err(|e| anyhow::anyhow!("cannot connect to '{connstr}': {}", error_text(&e)))
}

/// Parses and connects in one step.
pub fn connect_str(connstr: &str, application_name: &str) -> Result<Client> {
    let c = ConnStr::parse(connstr).context("bad connect string")?;
    connect(&c, application_name)
}

/// An r2d2 pool with a short wait, so a dead server fails fast instead of after r2d2's 30 s.
pub fn pool(
    connstr: &ConnStr,
    application_name: &str,
    size: u32,
) -> Result<r2d2::Pool<r2d2_postgres::PostgresConnectionManager<NoTls>>> {
    let mgr = r2d2_postgres::PostgresConnectionManager::new(connstr.to_config(application_name)?, NoTls);
    r2d2::Pool::builder()
        .max_size(size)
        .connection_timeout(Duration::from_secs(5))
        .build(mgr)
        .with_context(|| format!("cannot connect to '{connstr}'"))
}

/// Connection lost or server going away: reconnect and retry. Serialization failures and
/// deadlocks: retry the transaction. Anything else is a real error.
pub fn is_retryable(e: &postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        None => e.as_db_error().is_none(),
        Some(code) => {
            code.code().starts_with("08")
                || *code == SqlState::ADMIN_SHUTDOWN
                || *code == SqlState::CRASH_SHUTDOWN
                || *code == SqlState::CANNOT_CONNECT_NOW
                || *code == SqlState::T_R_SERIALIZATION_FAILURE
                || *code == SqlState::T_R_DEADLOCK_DETECTED
        }
    }
}

/// The whole story of an error on one line: the server's message (and detail) for database
/// errors, the cause chain for the rest. `Display` of a postgres::Error alone says only "db error".
pub fn error_text(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut s = format!("{}: {}", db.severity(), db.message());
        if let Some(d) = db.detail() {
            s.push_str(&format!(" (DETAIL: {d})"));
        }
        if let Some(h) = db.hint() {
            s.push_str(&format!(" (HINT: {h})"));
        }
        return s;
    }
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(&format!(": {inner}"));
        src = inner.source();
    }
    s
}

/// Same as `error_text` for an anyhow chain that may hold a postgres error: the contexts, then
/// the server's message (the postgres error's own sources would only repeat it).
pub fn anyhow_text(e: &anyhow::Error) -> String {
    let mut parts = Vec::new();
    for cause in e.chain() {
        if let Some(pg) = cause.downcast_ref::<postgres::Error>() {
            parts.push(error_text(pg));
            break;
        }
        parts.push(cause.to_string());
    }
    parts.join(": ")
}

/// True if an anyhow chain holds a retryable postgres error.
pub fn anyhow_is_retryable(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<postgres::Error>().is_some_and(is_retryable))
}

/// A connection that is opened on demand, dropped after an error that lost it, and recycled
/// after `lifetime` (Skytools' `connection_lifetime`).
pub struct ManagedConn {
    connstr: ConnStr,
    application_name: String,
    lifetime: Duration,
    client: Option<(Client, Instant)>,
}

impl ManagedConn {
    pub fn new(connstr: ConnStr, application_name: &str, lifetime: Duration) -> ManagedConn {
        ManagedConn { connstr, application_name: application_name.into(), lifetime, client: None }
    }

    pub fn connstr(&self) -> &ConnStr {
        &self.connstr
    }

    /// The open connection, connecting (or reconnecting after its lifetime) first if needed.
    pub fn get(&mut self) -> Result<&mut Client> {
        let expired = self.client.as_ref().is_some_and(|(c, t)| c.is_closed() || t.elapsed() >= self.lifetime);
        if expired {
            self.client = None;
        }
        if self.client.is_none() {
            let c = connect(&self.connstr, &self.application_name)?;
            self.client = Some((c, Instant::now()));
        }
        Ok(&mut self.client.as_mut().expect("just connected").0)
    }

    pub fn is_open(&self) -> bool {
        self.client.as_ref().is_some_and(|(c, _)| !c.is_closed())
    }

    /// Closes the connection; the next `get` reconnects.
    pub fn reset(&mut self) {
        self.client = None;
    }

    /// Changes the connect string; reconnects on next use if it differs (config reload).
    pub fn set_connstr(&mut self, connstr: ConnStr) {
        if connstr != self.connstr {
            self.connstr = connstr;
            self.client = None;
        }
    }
}
