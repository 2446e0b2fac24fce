//! Where data_maintainer's rows come from: a cursor over `sql_get_pk_list` on `dbread` (WITH HOLD
//! by default, so commits on the same connection keep it), or a CSV file.

use std::io::BufRead;

use anyhow::{anyhow, Context, Result};
use postgres::{Client, SimpleQueryMessage};

use super::params::{row_from_pg, Row};

const CURSOR: &str = "data_maint_cur";

pub enum Source {
    Db { client: Box<Client>, with_hold: bool, fetch_count: i64, done: bool },
    Csv { rows: std::vec::IntoIter<Row> },
}

impl Source {
    pub fn open_db(mut client: Client, sql: &str, with_hold: bool, fetch_count: i64) -> Result<Source> {
        let hold = if with_hold { "with hold" } else { "" };
        client.batch_execute("begin").context("dbread")?;
        client
            .batch_execute(&format!("declare {CURSOR} no scroll cursor {hold} for {sql}"))
            .context("sql_get_pk_list")?;
        if with_hold {
            // The declaring transaction must end for a WITH HOLD cursor to outlive it.
            client.batch_execute("commit")?;
        }
        Ok(Source::Db { client: Box::new(client), with_hold, fetch_count, done: false })
    }

    pub fn open_csv(path: &std::path::Path, delimiter: char, quote: char) -> Result<Source> {
        let file = std::fs::File::open(path).with_context(|| format!("fileread {}", path.display()))?;
        let mut lines = std::io::BufReader::new(file).lines();
        let header = lines.next().ok_or_else(|| anyhow!("{}: empty CSV file", path.display()))??;
        let names = split_csv(&header, delimiter, quote);
        let mut rows = Vec::new();
        for (i, line) in lines.enumerate() {
            let line = line?;
            if line.is_empty() {
                continue;
            }
            let fields = split_csv(&line, delimiter, quote);
            if fields.len() != names.len() {
                anyhow::bail!("{}:{}: {} fields, header has {}", path.display(), i + 2, fields.len(), names.len());
            }
            rows.push(names.iter().cloned().zip(fields.into_iter().map(Some)).collect());
        }
        Ok(Source::Csv { rows: rows.into_iter() })
    }

    /// The next chunk of rows; empty when exhausted.
    pub fn fetch(&mut self) -> Result<Vec<Row>> {
        match self {
            Source::Csv { rows } => Ok(rows.by_ref().take(100).collect()),
            Source::Db { client, fetch_count, done, .. } => {
                if *done {
                    return Ok(Vec::new());
                }
                let msgs = client.simple_query(&format!("fetch {fetch_count} from {CURSOR}"))?;
                let rows: Vec<Row> = msgs
                    .iter()
                    .filter_map(|m| match m {
                        SimpleQueryMessage::Row(r) => Some(row_from_pg(r)),
                        _ => None,
                    })
                    .collect();
                *done = rows.is_empty();
                Ok(rows)
            }
        }
    }

    pub fn close(&mut self) {
        if let Source::Db { client, with_hold, .. } = self {
            let _ = client.batch_execute(&format!("close {CURSOR}"));
            if !*with_hold {
                let _ = client.batch_execute("commit");
            }
        }
    }
}

/// One CSV line: fields split at `delimiter`, `quote`d fields may hold delimiters and doubled quotes.
fn split_csv(line: &str, delimiter: char, quote: char) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let cur = fields.last_mut().expect("non-empty");
        if in_quotes {
            if c == quote {
                if chars.peek() == Some(&quote) {
                    cur.push(quote);
                    chars.next();
                } else {
                    in_quotes = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == quote {
            in_quotes = true;
        } else if c == delimiter {
            fields.push(String::new());
        } else {
            cur.push(c);
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::split_csv;

    #[test]
    fn csv_fields() {
        assert_eq!(split_csv("1,\"a,b\",\"x\"\"y\"", ',', '"'), vec!["1", "a,b", "x\"y"]);
        assert_eq!(split_csv("1;2", ';', '"'), vec!["1", "2"]);
    }
}
