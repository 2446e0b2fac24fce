//! Statements that are not console commands go to the server as written, psql-style: each
//! result set as a table, and a status line for the others.

use std::io::Write;

use anyhow::Result;
use postgres::SimpleQueryMessage;

use super::output::Table;
use super::parser::{Parser, Stmt};
use super::session::Session;

/// The whole statement, as typed.
pub fn parse(p: &mut Parser) -> Stmt {
    Stmt::Sql(p.source().to_string())
}

pub fn run(sql: &str, s: &mut Session, out: &mut dyn Write) -> Result<()> {
    let mut table: Option<Table> = None;
    for msg in s.client()?.simple_query(sql)? {
        match msg {
            SimpleQueryMessage::RowDescription(cols) => {
                table = Some(Table {
                    title: None,
                    columns: cols.iter().map(|c| c.name().to_string()).collect(),
                    rows: vec![],
                });
            }
            SimpleQueryMessage::Row(row) => {
                if let Some(t) = table.as_mut() {
                    t.rows.push((0..row.len()).map(|i| row.get(i).map(str::to_string)).collect());
                }
            }
            SimpleQueryMessage::CommandComplete(n) => match table.take() {
                Some(t) => t.print(out)?,
                None => writeln!(out, "{}", status(sql, n))?,
            },
            _ => {}
        }
    }
    Ok(())
}

/// A psql-like status tag from the statement's first words (the protocol's own tag is not
/// passed on by the client library, only the row count).
fn status(sql: &str, n: u64) -> String {
    let words: Vec<String> = sql.split_whitespace().take(2).map(|w| w.to_uppercase()).collect();
    match words.first().map(String::as_str) {
        Some("INSERT") => format!("INSERT 0 {n}"),
        Some("UPDATE" | "DELETE" | "SELECT" | "COPY" | "FETCH" | "MOVE") => format!("{} {n}", words[0]),
        Some("CREATE" | "DROP" | "ALTER") if words.len() > 1 => words.join(" "),
        Some(w) => w.to_string(),
        None => String::new(),
    }
}
