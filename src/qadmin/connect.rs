//! `connect [DBNAME] [dbname=..] [host=..] [port=..] [user=..] [password=..] [queue=..] [node=..];`
//! Reconnects with the given connect-string keys (the others kept), switches the default queue,
//! or follows a cascade node's location. The old connection stays when the new one fails.

use std::io::Write;

use anyhow::{bail, Result};

use super::parser::{Expect, NameKind, PResult, Parser};
use super::session::{self, Session};
use crate::script::connstr::ConnStr;

#[derive(Debug, PartialEq, Default)]
pub struct Connect {
    /// Connect-string keys and values, in the order given.
    pub params: Vec<(String, String)>,
    pub queue: Option<String>,
    pub node: Option<String>,
}

const KEYS: &[&str] = &["dbname", "host", "port", "user", "password"];

pub fn parse(p: &mut Parser) -> PResult<Connect> {
    let mut c = Connect::default();
    loop {
        if let Some(k) = KEYS.iter().find(|k| p.key(k)) {
            let kind = match *k {
                "dbname" => NameKind::Database,
                "user" => NameKind::User,
                "port" => NameKind::Port,
                _ => NameKind::New,
            };
            let v = p.raw_value(kind, &format!("a value for {k}"))?;
            c.params.push((k.to_string(), v));
        } else if p.key("queue") {
            c.queue = Some(p.name(NameKind::Queue, "a queue name")?);
        } else if p.key("node") {
            c.node = Some(p.name(NameKind::Node, "a node name")?);
        } else if c.params.is_empty() && c.queue.is_none() && c.node.is_none() {
            if p.at_end() {
                p.note(Expect::Name(NameKind::Database));
                break;
            }
            let db = p.name(NameKind::Database, "a database name or KEY=VALUE")?;
            c.params.push(("dbname".into(), db));
        } else {
            break;
        }
        p.symbol(',');
    }
    Ok(c)
}

pub fn run(c: &Connect, s: &mut Session, out: &mut dyn Write) -> Result<()> {
    let target = if let Some(node) = &c.node {
        if !c.params.is_empty() {
            bail!("connect node= cannot be combined with connect-string keys");
        }
        Some(node_location(c, node, s)?)
    } else if c.params.is_empty() {
        None
    } else {
        let mut cs = s.connstr.clone();
        for (k, v) in &c.params {
            cs = cs.with(k, v);
        }
        Some(cs)
    };
    match target {
        Some(cs) => {
            let mut client = session::open(&cs)?;
            if let Some(q) = &c.queue {
                check_queue(&mut client, q)?;
            }
            let (server, pgq) = session::versions(&mut client)?;
            let keep_queue = c.node.is_some();
            s.replace(client, cs);
            if !keep_queue {
                s.queue = None;
            }
            let pgq = pgq.map_or_else(|| "pgq not installed".to_string(), |v| format!("pgq {v}"));
            writeln!(out, "qadmin ({}, server {server}, {pgq})", env!("CARGO_PKG_VERSION"))?;
        }
        None => {
            if let Some(q) = &c.queue {
                check_queue(s.client()?, q)?;
            }
        }
    }
    if let Some(q) = &c.queue {
        s.queue = Some(q.clone());
    }
    writeln!(out, "CONNECT")?;
    Ok(())
}

fn check_queue(client: &mut postgres::Client, queue: &str) -> Result<()> {
    if !session::has_schema(client, "pgq")? || !session::queue_exists(client, queue)? {
        bail!("queue not found: {queue}");
    }
    Ok(())
}

/// The connect string of a cascade node, from this database's pgq_node tables.
fn node_location(c: &Connect, node: &str, s: &mut Session) -> Result<ConnStr> {
    let queue = s.queue_or_default(c.queue.as_deref())?;
    s.require_schema("pgq_node", "connect node=")?;
    let row = s.client()?.query_opt(
        "select node_location from pgq_node.node_location where queue_name = $1 and node_name = $2",
        &[&queue, &node],
    )?;
    match row {
        Some(r) => ConnStr::parse(r.get(0)),
        None => bail!("node not found: {node} (queue {queue})"),
    }
}
