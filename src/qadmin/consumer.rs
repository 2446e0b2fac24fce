//! `register consumer C [on Q] [at TICK] [copy OTHER];`, `unregister consumer <C or *> [from Q];`
//! and the pgq_coop pair `register subconsumer S for C [on Q];`,
//! `unregister subconsumer <S or *> for C [from Q] [close [batch]];`.

use std::io::Write;

use anyhow::{bail, Result};

use super::parser::{NameKind, PResult, Parser};
use super::session::Session;

#[derive(Debug, PartialEq)]
pub enum ConsumerCmd {
    Register {
        consumer: String,
        queue: Option<String>,
        at: Option<i64>,
        copy: Option<String>,
    },
    /// `consumer` None: every consumer of the queue.
    Unregister {
        consumer: Option<String>,
        queue: Option<String>,
    },
    RegisterSub {
        sub: String,
        consumer: String,
        queue: Option<String>,
    },
    /// `sub` None: every subconsumer of the consumer. `close`: drop its open batch.
    UnregisterSub {
        sub: Option<String>,
        consumer: String,
        queue: Option<String>,
        close: bool,
    },
}

pub fn parse(register: bool, p: &mut Parser) -> PResult<ConsumerCmd> {
    let queue_word = if register { "on" } else { "from" };
    match (register, p.one_of(&["consumer", "subconsumer"])?) {
        (true, "consumer") => {
            let consumer = p.name(NameKind::New, "a consumer name")?;
            let (mut queue, mut at, mut copy) = (None, None, None);
            loop {
                if queue.is_none() && p.keyword("on") {
                    queue = Some(p.name(NameKind::Queue, "a queue name")?);
                } else if at.is_none() && copy.is_none() && p.keyword("at") {
                    at = Some(p.integer("a tick id")?);
                } else if at.is_none() && copy.is_none() && p.keyword("copy") {
                    copy = Some(p.name(NameKind::Consumer, "a consumer name")?);
                } else {
                    break;
                }
            }
            Ok(ConsumerCmd::Register { consumer, queue, at, copy })
        }
        (false, "consumer") => {
            let consumer = p.name_or_star(NameKind::Consumer, "a consumer name")?;
            let queue = if p.keyword(queue_word) { Some(p.name(NameKind::Queue, "a queue name")?) } else { None };
            Ok(ConsumerCmd::Unregister { consumer, queue })
        }
        (true, _) => {
            let sub = p.name(NameKind::New, "a subconsumer name")?;
            p.one_of(&["for"])?;
            let consumer = p.name(NameKind::Consumer, "a consumer name")?;
            let queue = if p.keyword(queue_word) { Some(p.name(NameKind::Queue, "a queue name")?) } else { None };
            Ok(ConsumerCmd::RegisterSub { sub, consumer, queue })
        }
        (false, _) => {
            let sub = p.name_or_star(NameKind::New, "a subconsumer name")?;
            p.one_of(&["for"])?;
            let consumer = p.name(NameKind::Consumer, "a consumer name")?;
            let queue = if p.keyword(queue_word) { Some(p.name(NameKind::Queue, "a queue name")?) } else { None };
            let close = p.keyword("close");
            if close {
                p.keyword("batch");
            }
            Ok(ConsumerCmd::UnregisterSub { sub, consumer, queue, close })
        }
    }
}

pub fn run(cmd: &ConsumerCmd, s: &mut Session, out: &mut dyn Write) -> Result<()> {
    match cmd {
        ConsumerCmd::Register { consumer, queue, at, copy } => {
            let q = s.queue_or_default(queue.as_deref())?;
            s.require_queue(&q)?;
            let tick = match (at, copy) {
                (Some(t), _) => Some(*t),
                (None, Some(other)) => match last_tick(s, &q, other)? {
                    Some(t) => Some(t),
                    None => bail!("consumer not found on queue {q}: {other}"),
                },
                (None, None) => {
                    if last_tick(s, &q, consumer)?.is_some() {
                        bail!("consumer already registered on queue {q}: {consumer}");
                    }
                    None
                }
            };
            s.client()?.query_one("select pgq.register_consumer_at($1, $2, $3)", &[&q, consumer, &tick])?;
            writeln!(out, "REGISTER")?;
        }
        ConsumerCmd::Unregister { consumer, queue } => {
            let q = s.queue_or_default(queue.as_deref())?;
            s.require_queue(&q)?;
            let names = match consumer {
                Some(c) if last_tick(s, &q, c)?.is_none() => bail!("consumer not found on queue {q}: {c}"),
                Some(c) => vec![c.clone()],
                None => {
                    let rows = s.client()?.query(
                        "select co_name from pgq.consumer c join pgq.subscription s on s.sub_consumer = c.co_id \
                         join pgq.queue q on q.queue_id = s.sub_queue where q.queue_name = $1 order by 1",
                        &[&q],
                    )?;
                    rows.iter().map(|r| r.get(0)).collect()
                }
            };
            let mut tx = s.client()?.transaction()?;
            for c in &names {
                tx.query_one("select pgq.unregister_consumer($1, $2)", &[&q, c])?;
            }
            tx.commit()?;
            writeln!(out, "UNREGISTER")?;
        }
        ConsumerCmd::RegisterSub { sub, consumer, queue } => {
            let q = s.queue_or_default(queue.as_deref())?;
            s.require_schema("pgq_coop", "register subconsumer")?;
            s.require_queue(&q)?;
            let n: i32 =
                s.client()?.query_one("select pgq_coop.register_subconsumer($1, $2, $3)", &[&q, consumer, sub])?.get(0);
            if n == 0 {
                bail!("subconsumer already registered on queue {q}: {consumer}.{sub}");
            }
            writeln!(out, "REGISTER")?;
        }
        ConsumerCmd::UnregisterSub { sub, consumer, queue, close } => {
            let q = s.queue_or_default(queue.as_deref())?;
            s.require_schema("pgq_coop", "unregister subconsumer")?;
            s.require_queue(&q)?;
            let subs: Vec<String> = match sub {
                Some(x) => vec![x.clone()],
                None => {
                    let prefix = format!("{consumer}.");
                    let rows = s.client()?.query(
                        "select substr(consumer_name, length($2) + 1) from pgq.get_consumer_info($1) \
                         where starts_with(consumer_name, $2) order by 1",
                        &[&q, &prefix],
                    )?;
                    rows.iter().map(|r| r.get(0)).collect()
                }
            };
            let handling: i32 = if *close { 1 } else { 0 };
            let mut tx = s.client()?.transaction()?;
            for x in &subs {
                let n: i32 = tx
                    .query_one("select pgq_coop.unregister_subconsumer($1, $2, $3, $4)", &[&q, consumer, x, &handling])?
                    .get(0);
                if n == 0 && sub.is_some() {
                    bail!("subconsumer not found on queue {q}: {consumer}.{x}");
                }
            }
            tx.commit()?;
            writeln!(out, "UNREGISTER")?;
        }
    }
    Ok(())
}

/// The consumer's last tick on the queue, None when it is not registered there.
fn last_tick(s: &mut Session, queue: &str, consumer: &str) -> Result<Option<i64>> {
    let row = s.client()?.query_opt(
        "select s.sub_last_tick from pgq.subscription s join pgq.consumer c on c.co_id = s.sub_consumer \
         join pgq.queue q on q.queue_id = s.sub_queue where q.queue_name = $1 and c.co_name = $2",
        &[&queue, &consumer],
    )?;
    Ok(row.and_then(|r| r.get(0)))
}
