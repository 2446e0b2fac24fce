//! `create queue Q;`, `drop queue Q;` and
//! `alter queue <Q or *> set idle_period='..', max_count=N, max_lag='..', paused=on;`.

use std::io::Write;

use anyhow::{bail, Result};

use super::parser::{NameKind, PResult, Parser};
use super::session::Session;

#[derive(Debug, PartialEq)]
pub enum QueueCmd {
    Create(String),
    Drop(String),
    /// Queue (None: all queues) and (pgq parameter, value) pairs.
    Alter(Option<String>, Vec<(&'static str, String)>),
}

/// The settings `alter queue` knows: the console's name, then pgq.set_queue_config's.
const SETTINGS: &[(&str, &str)] = &[
    ("idle_period", "ticker_idle_period"),
    ("max_count", "ticker_max_count"),
    ("max_lag", "ticker_max_lag"),
    ("paused", "ticker_paused"),
    ("rotation_period", "rotation_period"),
    ("external_ticker", "external_ticker"),
];

/// After `create`/`drop`/`alter`: a queue command, or None when it is SQL (`create table ...`).
pub fn parse(verb: &str, p: &mut Parser) -> PResult<Option<QueueCmd>> {
    if !p.keyword("queue") {
        return Ok(None);
    }
    let cmd = match verb {
        "create" => QueueCmd::Create(p.name(NameKind::New, "a queue name")?),
        "drop" => QueueCmd::Drop(p.name(NameKind::Queue, "a queue name")?),
        _ => {
            let queue = p.name_or_star(NameKind::Queue, "a queue name")?;
            p.one_of(&["set"])?;
            let mut settings = Vec::new();
            loop {
                let names: Vec<&'static str> = SETTINGS.iter().map(|(n, _)| *n).collect();
                let name = p.one_of(&names)?;
                p.expect_symbol('=')?;
                let value = p.value("a value")?;
                let param = SETTINGS.iter().find(|(n, _)| *n == name).expect("listed").1;
                settings.push((param, value));
                if !p.symbol(',') {
                    break;
                }
            }
            QueueCmd::Alter(queue, settings)
        }
    };
    Ok(Some(cmd))
}

pub fn run(cmd: &QueueCmd, s: &mut Session, out: &mut dyn Write) -> Result<()> {
    match cmd {
        QueueCmd::Create(q) => {
            s.require_schema("pgq", "create queue")?;
            let created: i32 = s.client()?.query_one("select pgq.create_queue($1)", &[q])?.get(0);
            if created == 0 {
                bail!("queue already exists: {q}");
            }
            writeln!(out, "CREATE")?;
        }
        QueueCmd::Drop(q) => {
            s.require_queue(q)?;
            s.client()?.query_one("select pgq.drop_queue($1)", &[q])?;
            writeln!(out, "DROP")?;
        }
        QueueCmd::Alter(queue, settings) => {
            let queues: Vec<String> = match queue {
                Some(q) => {
                    s.require_queue(q)?;
                    vec![q.clone()]
                }
                None => {
                    s.require_schema("pgq", "alter queue")?;
                    let rows = s.client()?.query("select queue_name from pgq.queue order by 1", &[])?;
                    rows.iter().map(|r| r.get(0)).collect()
                }
            };
            let mut tx = s.client()?.transaction()?;
            for q in &queues {
                for (param, value) in settings {
                    tx.query_one("select pgq.set_queue_config($1, $2, $3)", &[q, param, value])?;
                }
            }
            tx.commit()?;
            writeln!(out, "ALTER")?;
        }
    }
    Ok(())
}
