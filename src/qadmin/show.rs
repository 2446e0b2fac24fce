//! `show queue|consumer|node|batch|table|sequence|version|help`: the read-only commands. Queue,
//! consumer and batch information comes from the pgq info functions, nodes from pgq_node, the
//! table and sequence definitions from the catalog (`ddl`).

use std::io::Write;

use anyhow::{bail, Result};

use super::output::Table;
use super::parser::{Expect, NameKind, PResult, Parser};
use super::session::{self, Session};
use super::{ddl, help};

/// Which objects a `show` names: None = the default (the current queue, or all), Some(None) =
/// all (`*`), Some(Some(name)) = that one.
pub type Target = Option<Option<String>>;

#[derive(Debug, PartialEq)]
pub enum Show {
    Queue(Target),
    Consumer(Target, Target),
    Node(Target, Target),
    /// A batch id, or the consumer whose open batch to show (and its queue).
    Batch(BatchRef, Option<String>),
    Table(String),
    Sequence(String),
    Version,
    Help,
}

#[derive(Debug, PartialEq)]
pub enum BatchRef {
    Id(i64),
    Consumer(String),
}

const WHAT: &[&str] = &["batch", "consumer", "help", "node", "queue", "sequence", "table", "version"];

pub fn parse(p: &mut Parser) -> PResult<Show> {
    Ok(match p.one_of(WHAT)? {
        "queue" => Show::Queue(p.opt_name_or_star(NameKind::Queue, "a queue name")?),
        "consumer" => {
            let c = p.opt_name_or_star(NameKind::Consumer, "a consumer name")?;
            let q = on_queue(c.is_some(), p)?;
            Show::Consumer(c, q)
        }
        "node" => {
            let n = p.opt_name_or_star(NameKind::Node, "a node name")?;
            let q = on_queue(n.is_some(), p)?;
            Show::Node(n, q)
        }
        "batch" => {
            p.note(Expect::Name(NameKind::Batch));
            let b = match p.integer("") {
                Ok(id) => BatchRef::Id(id),
                Err(_) => BatchRef::Consumer(p.name(NameKind::Consumer, "a batch id or a consumer name")?),
            };
            let q = if p.keyword("on") { Some(p.name(NameKind::Queue, "a queue name")?) } else { None };
            Show::Batch(b, q)
        }
        "table" => Show::Table(p.qualified_name(NameKind::Table, "a table name")?),
        "sequence" => Show::Sequence(p.qualified_name(NameKind::Sequence, "a sequence name")?),
        "version" => Show::Version,
        _ => Show::Help,
    })
}

/// `[on <Q or *>]` after a name.
fn on_queue(named: bool, p: &mut Parser) -> PResult<Target> {
    if named && p.keyword("on") {
        return p.name_or_star(NameKind::Queue, "a queue name").map(Some);
    }
    Ok(None)
}

pub fn run(cmd: &Show, s: &mut Session, out: &mut dyn Write) -> Result<()> {
    match cmd {
        Show::Queue(target) => show_queue(target, s, out),
        Show::Consumer(c, q) => show_consumer(c, q, s, out),
        Show::Node(n, q) => show_node(n, q, s, out),
        Show::Batch(b, q) => show_batch(b, q.as_deref(), s, out),
        Show::Table(t) => ddl::show_table(t, s, out),
        Show::Sequence(seq) => ddl::show_sequence(seq, s, out),
        Show::Version => {
            let (server, pgq) = session::versions(s.client()?)?;
            writeln!(out, "qadmin version {}", env!("CARGO_PKG_VERSION"))?;
            writeln!(out, "server version {server}")?;
            writeln!(out, "pgq version {}", pgq.as_deref().unwrap_or("(not installed)"))?;
            Ok(())
        }
        Show::Help => help::print(out),
    }
}

/// The queue filter of a target: Some(name), or None for all.
fn queue_filter(target: &Target, s: &mut Session) -> Result<Option<String>> {
    Ok(match target {
        None => s.queue.clone(),
        Some(None) => None,
        Some(Some(q)) => {
            s.require_queue(q)?;
            Some(q.clone())
        }
    })
}

fn show_queue(target: &Target, s: &mut Session, out: &mut dyn Write) -> Result<()> {
    s.require_schema("pgq", "show queue")?;
    let queue = queue_filter(target, s)?;
    let t = Table::query(
        s.client()?,
        "select queue_name, queue_cur_table || '/' || queue_ntables as tables, \
         queue_ticker_max_count::text as max_count, queue_ticker_max_lag::text as max_lag, \
         queue_ticker_idle_period::text as idle_period, queue_ticker_paused::text as paused, \
         date_trunc('second', ticker_lag)::text as ticker_lag, round(ev_per_sec::numeric, 2)::text as ev_per_sec, \
         ev_new::text, last_tick_id::text as last_tick \
         from pgq.get_queue_info() where $1::text is null or queue_name = $1 order by 1",
        &[&queue],
    )?;
    t.print(out)?;
    Ok(())
}

fn show_consumer(consumer: &Target, queue: &Target, s: &mut Session, out: &mut dyn Write) -> Result<()> {
    s.require_schema("pgq", "show consumer")?;
    let queue = queue_filter(queue, s)?;
    let consumer = consumer.clone().flatten();
    let t = Table::query(
        s.client()?,
        "select queue_name, consumer_name, date_trunc('second', lag)::text as lag, \
         date_trunc('second', last_seen)::text as last_seen, last_tick::text, current_batch::text, \
         next_tick::text, pending_events::text \
         from pgq.get_consumer_info() \
         where ($1::text is null or queue_name = $1) and ($2::text is null or consumer_name = $2) order by 1, 2",
        &[&queue, &consumer],
    )?;
    if t.rows.is_empty() {
        if let Some(c) = consumer {
            bail!("consumer not found: {c}{}", queue.map(|q| format!(" (queue {q})")).unwrap_or_default());
        }
    }
    t.print(out)?;
    Ok(())
}

fn show_node(node: &Target, queue: &Target, s: &mut Session, out: &mut dyn Write) -> Result<()> {
    s.require_schema("pgq_node", "show node")?;
    let queue = match queue {
        None => s.queue.clone(),
        Some(q) => q.clone(),
    };
    let node = node.clone().flatten();
    let t = Table::query(
        s.client()?,
        "select queue_name, node_name, node_location, dead::text from pgq_node.node_location \
         where ($1::text is null or queue_name = $1) and ($2::text is null or node_name = $2) order by 1, 2",
        &[&queue, &node],
    )?;
    if t.rows.is_empty() {
        if let Some(n) = node {
            bail!("node not found: {n}{}", queue.map(|q| format!(" (queue {q})")).unwrap_or_default());
        }
    }
    t.print(out)?;
    Ok(())
}

fn show_batch(batch: &BatchRef, queue: Option<&str>, s: &mut Session, out: &mut dyn Write) -> Result<()> {
    s.require_schema("pgq", "show batch")?;
    let id = match batch {
        BatchRef::Id(id) => *id,
        BatchRef::Consumer(c) => {
            let q = s.queue_or_default(queue)?;
            s.require_queue(&q)?;
            let row = s.client()?.query_opt("select current_batch from pgq.get_consumer_info($1, $2)", &[&q, c])?;
            match row.map(|r| r.get::<_, Option<i64>>(0)) {
                None => bail!("consumer not found: {c} (queue {q})"),
                Some(None) => bail!("consumer {c} has no open batch on queue {q}"),
                Some(Some(id)) => id,
            }
        }
    };
    let info = s
        .client()?
        .query_one("select queue_name, consumer_name, prev_tick_id, tick_id from pgq.get_batch_info($1)", &[&id])?;
    let Some(queue_name) = info.get::<_, Option<String>>(0) else {
        bail!("batch not found: {id} (only open batches can be shown)");
    };
    let consumer: String = info.get(1);
    let (prev, tick): (i64, i64) = (info.get(2), info.get(3));
    let t = Table::query(
        s.client()?,
        "select ev_id::text, ev_time::text, ev_txid::text, ev_retry::text, ev_type, ev_data, \
         ev_extra1, ev_extra2, ev_extra3, ev_extra4 from pgq.get_batch_events($1)",
        &[&id],
    )?;
    let title = format!("Batch {id} (queue {queue_name}, consumer {consumer}, ticks {prev}..{tick})");
    t.with_title(title).print(out)?;
    Ok(())
}
