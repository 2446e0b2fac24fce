//! Tab completion without a terminal: runs the statement grammar over the text typed so far and
//! turns what it could have accepted next into candidates, names coming from a snapshot of the
//! database (`Names`, refreshed before each prompt).

use std::collections::BTreeSet;

use super::lexer::{split, tokenize, Kind};
use super::parser::{parse_with, Expect, NameKind, Parser};
use crate::script::quoting::quote_ident;

/// PostgreSQL's and pgbouncer's usual ports.
const PORTS: &[&str] = &["5432", "6432"];

/// Names the completer offers, read from the database.
#[derive(Debug, Default, Clone)]
pub struct Names {
    pub queues: Vec<String>,
    pub consumers: Vec<String>,
    pub nodes: Vec<String>,
    pub databases: Vec<String>,
    pub users: Vec<String>,
    pub batches: Vec<String>,
    pub tables: Vec<String>,
    pub sequences: Vec<String>,
}

impl Names {
    fn of(&self, kind: NameKind) -> Vec<String> {
        let list = match kind {
            NameKind::Queue => &self.queues,
            NameKind::Consumer => &self.consumers,
            NameKind::Node => &self.nodes,
            NameKind::Database => &self.databases,
            NameKind::User => &self.users,
            NameKind::Batch => &self.batches,
            NameKind::Table => &self.tables,
            NameKind::Sequence => &self.sequences,
            NameKind::Port => return PORTS.iter().map(|p| p.to_string()).collect(),
            NameKind::New => return Vec::new(),
        };
        list.clone()
    }
}

/// Completions for the end of `text` (the unfinished statement so far): the byte offset where
/// the word being completed starts, and the candidates, each with the separator that follows.
pub fn complete(text: &str, names: &Names) -> (usize, Vec<String>) {
    let sp = split(text);
    if sp.unterminated.is_some() {
        return (text.len(), Vec::new());
    }
    let stmt = &text[sp.rest..];
    let mut toks = tokenize(stmt).tokens;
    let (start, prefix) = match toks.last() {
        Some(t) if t.end == stmt.len() && matches!(t.kind, Kind::Word(_) | Kind::Ident(_) | Kind::Number(_)) => {
            let t = toks.pop().expect("checked");
            (sp.rest + t.start, stmt[t.start..].to_string())
        }
        _ => (text.len(), String::new()),
    };
    let mut p = Parser::new(stmt, &toks);
    let _ = parse_with(&mut p);
    // (what the prefix is matched against, what goes into the line)
    let mut found: BTreeSet<(String, String)> = BTreeSet::new();
    for e in &p.expected {
        match e {
            Expect::Keyword(k) => {
                found.insert((k.to_string(), format!("{k} ")));
            }
            Expect::Key(k) => {
                found.insert((k.to_string(), format!("{k}=")));
            }
            Expect::Name(kind) => {
                found.extend(names.of(*kind).into_iter().map(|n| {
                    let put = format!("{} ", quote_name(&n, *kind));
                    (n, put)
                }));
            }
        }
    }
    let lower = prefix.to_lowercase();
    let mut cands: Vec<String> = found
        .into_iter()
        .filter(|(raw, put)| raw.starts_with(&prefix) || raw.starts_with(&lower) || put.starts_with(&prefix))
        .map(|(_, put)| put)
        .collect();
    cands.sort();
    cands.dedup();
    (start, cands)
}

/// Names go back into the statement as the lexer will read them; tables keep their schema dot.
fn quote_name(n: &str, kind: NameKind) -> String {
    match kind {
        NameKind::Table | NameKind::Sequence => n.split('.').map(quote_ident).collect::<Vec<_>>().join("."),
        NameKind::Batch | NameKind::Port => n.to_string(),
        _ => quote_ident(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names {
            queues: vec!["orders".into(), "other".into(), "Mixed".into()],
            consumers: vec!["c1".into()],
            users: vec!["postgres".into()],
            databases: vec!["appdb".into()],
            batches: vec!["17".into()],
            ..Names::default()
        }
    }

    fn cands(text: &str) -> Vec<String> {
        complete(text, &names()).1
    }

    #[test]
    fn offers_commands_then_keywords_then_names() {
        assert!(cands("").contains(&"show ".to_string()));
        assert_eq!(cands("sh"), vec!["show "]);
        assert_eq!(cands("show qu"), vec!["queue "]);
        assert_eq!(cands("show queue o"), vec!["orders ", "other "]);
        assert_eq!(cands("show queue M"), vec!["\"Mixed\" "]);
        assert_eq!(cands("show consumer c1 "), vec!["on "]);
        assert_eq!(cands("show consumer c1 on or"), vec!["orders "]);
        assert_eq!(cands("register consumer x "), vec!["at ", "copy ", "on "]);
        assert_eq!(cands("connect queue="), vec!["\"Mixed\" ", "orders ", "other "]);
        assert!(cands("connect ").contains(&"queue=".to_string()));
        assert!(cands("connect ").contains(&"appdb ".to_string()));
        assert_eq!(cands("alter queue orders set max_c"), vec!["max_count "]);
        assert_eq!(cands("install pgq_"), vec!["pgq_coop ", "pgq_ext "]);
        assert_eq!(cands("connect user=po"), vec!["postgres "]);
        assert_eq!(cands("connect port="), vec!["5432 ", "6432 "]);
        assert_eq!(cands("show batch 1"), vec!["17 "]);
        assert_eq!(cands("show batch "), vec!["17 ", "c1 "]);
    }

    #[test]
    fn completes_in_the_last_statement_only() {
        let (start, c) = complete("show queue orders; drop queue ot", &names());
        assert_eq!(start, "show queue orders; drop queue ".len());
        assert_eq!(c, vec!["other "]);
        assert!(cands("select 'show ").is_empty());
    }
}
