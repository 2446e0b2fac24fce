//! `install pgq[, pgq_coop, pgq_ext];`: installs or upgrades the SQL modules embedded in the
//! binary (and what they require), in one transaction.

use std::io::Write;

use anyhow::Result;

use super::parser::{Expect, NameKind, PResult, Parser};
use super::session::Session;
use crate::sqlmod::install::install;

#[derive(Debug, PartialEq)]
pub struct Install {
    pub modules: Vec<String>,
}

/// Module names offered by the completer.
pub const MODULES: &[&str] = &["pgq", "pgq_coop", "pgq_ext"];

pub fn parse(p: &mut Parser) -> PResult<Install> {
    let mut modules = Vec::new();
    loop {
        for m in MODULES {
            p.note(Expect::Keyword(m));
        }
        modules.push(p.name(NameKind::New, "a module name")?);
        if !p.symbol(',') {
            break;
        }
    }
    Ok(Install { modules })
}

pub fn run(cmd: &Install, s: &mut Session, out: &mut dyn Write) -> Result<()> {
    let names: Vec<&str> = cmd.modules.iter().map(String::as_str).collect();
    for i in install(s.client()?, &names)? {
        let after = i.after.as_deref().unwrap_or("?");
        match i.before {
            None => writeln!(out, "{}: installed {after}", i.module)?,
            Some(b) => writeln!(out, "{}: upgraded {b} -> {after}", i.module)?,
        }
    }
    writeln!(out, "INSTALL")?;
    Ok(())
}
