//! The console's state: the open connection (reopened when the server dropped it), where it
//! points, the default queue, and the lookups every command shares (schemas, queues, versions).

use anyhow::{bail, Context, Result};
use postgres::{Client, NoTls};

use super::complete::Names;
use crate::script::connstr::ConnStr;
use crate::script::db::error_text;

pub const APP_NAME: &str = "qadmin";

pub struct Session {
    client: Client,
    pub connstr: ConnStr,
    /// The default queue (`-Q`, `connect queue=`).
    pub queue: Option<String>,
}

/// Opens a connection in autocommit mode; server notices go to stderr like psql's.
pub fn open(connstr: &ConnStr) -> Result<Client> {
    let mut cfg = connstr.to_config(APP_NAME)?;
    cfg.notice_callback(|n| eprintln!("{}: {}", n.severity(), n.message()));
    cfg.connect(NoTls).map_err(|e| anyhow::anyhow!("cannot connect to '{connstr}': {}", error_text(&e)))
}

impl Session {
    pub fn connect(connstr: ConnStr) -> Result<Session> {
        let client = open(&connstr)?;
        Ok(Session { client, connstr, queue: None })
    }

    /// Replaces the connection (after `connect`); the caller decides about the default queue.
    pub fn replace(&mut self, client: Client, connstr: ConnStr) {
        self.client = client;
        self.connstr = connstr;
    }

    /// The connection, reopened first if the server closed it.
    pub fn client(&mut self) -> Result<&mut Client> {
        if self.client.is_closed() {
            self.client = open(&self.connstr).context("reconnecting")?;
        }
        Ok(&mut self.client)
    }

    /// Opens a new connection to the same place.
    pub fn reconnect(&mut self) -> Result<()> {
        self.client = open(&self.connstr)?;
        Ok(())
    }

    pub fn dbname(&self) -> String {
        self.connstr.dbname()
    }

    /// `queue@db> `, or `(noqueue)@db> `.
    pub fn prompt(&self) -> String {
        format!("{}@{}> ", self.queue.as_deref().unwrap_or("(noqueue)"), self.dbname())
    }

    /// The queue a command works on: the one it names, else the default one.
    pub fn queue_or_default(&self, named: Option<&str>) -> Result<String> {
        match named.or(self.queue.as_deref()) {
            Some(q) => Ok(q.to_string()),
            None => bail!("no queue given: name one with \"on QUEUE\" or set a default with \"connect queue=QUEUE;\""),
        }
    }

    /// Fails with a hint to install when `schema` is missing.
    pub fn require_schema(&mut self, schema: &str, what: &str) -> Result<()> {
        if !has_schema(self.client()?, schema)? {
            let hint = match schema {
                "pgq" | "pgq_coop" | "pgq_ext" => format!(" (\"install {schema};\" installs it)"),
                _ => String::new(),
            };
            bail!("{what} needs the {schema} schema, which is not installed in database \"{}\"{hint}", self.dbname());
        }
        Ok(())
    }

    /// Fails with `queue not found` unless the queue exists.
    pub fn require_queue(&mut self, queue: &str) -> Result<()> {
        self.require_schema("pgq", "working with queues")?;
        if !queue_exists(self.client()?, queue)? {
            bail!("queue not found: {queue}");
        }
        Ok(())
    }
}

pub fn has_schema(client: &mut Client, schema: &str) -> Result<bool> {
    Ok(client.query_one("select exists (select 1 from pg_namespace where nspname = $1)", &[&schema])?.get(0))
}

pub fn queue_exists(client: &mut Client, queue: &str) -> Result<bool> {
    Ok(client.query_one("select exists (select 1 from pgq.queue where queue_name = $1)", &[&queue])?.get(0))
}

/// `server <version>` and `pgq <version>` (or `pgq not installed`).
pub fn versions(client: &mut Client) -> Result<(String, Option<String>)> {
    let server: String = client.query_one("select current_setting('server_version')", &[])?.get(0);
    let pgq = crate::sqlmod::install::installed_version(client, "pgq")?;
    Ok((server, pgq))
}

/// The one-line story of an error: the server's message (with DETAIL and HINT lines) for
/// database errors, the context chain for the rest.
pub fn error_message(e: &anyhow::Error) -> String {
    let mut parts = Vec::new();
    for cause in e.chain() {
        if let Some(pg) = cause.downcast_ref::<postgres::Error>() {
            match pg.as_db_error() {
                Some(db) => {
                    let mut s = db.message().to_string();
                    if let Some(d) = db.detail() {
                        s.push_str(&format!("\nDETAIL: {d}"));
                    }
                    if let Some(h) = db.hint() {
                        s.push_str(&format!("\nHINT: {h}"));
                    }
                    parts.push(s);
                }
                None => parts.push(error_text(pg)),
            }
            break;
        }
        parts.push(cause.to_string());
    }
    format!("ERROR: {}", parts.join(": "))
}

impl Session {
    /// What the completer offers, read fresh; a failing lookup leaves its list empty.
    pub fn names(&mut self) -> Names {
        let mut n = Names::default();
        let Ok(c) = self.client() else { return n };
        let mut list = |sql: &str| -> Vec<String> {
            c.query(sql, &[]).map(|rows| rows.iter().map(|r| r.get(0)).collect()).unwrap_or_default()
        };
        n.databases = list("select datname::text from pg_database where datallowconn order by 1");
        n.users = list("select rolname::text from pg_roles where rolcanlogin order by 1");
        n.tables = list(
            "select format('%s.%s', n.nspname, c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace \
             where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema') \
             and n.nspname not like 'pg\\_%' order by 1",
        );
        n.sequences = list(
            "select format('%s.%s', n.nspname, c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace \
             where c.relkind = 'S' and n.nspname not in ('pg_catalog', 'information_schema') order by 1",
        );
        let present: Vec<String> = list("select nspname::text from pg_namespace where nspname in ('pgq', 'pgq_node')");
        if present.iter().any(|s| s == "pgq") {
            n.queues = list("select queue_name from pgq.queue order by 1");
            n.consumers = list("select co_name from pgq.consumer order by 1");
            n.batches =
                list("select sub_batch::text from pgq.subscription where sub_batch is not null order by sub_batch");
        }
        if present.iter().any(|s| s == "pgq_node") {
            n.nodes = list("select distinct node_name from pgq_node.node_location order by 1");
        }
        n
    }
}
