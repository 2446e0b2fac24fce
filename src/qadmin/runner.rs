//! Running statements: parse one, hand it to its command family, and report a failure the way
//! both modes print it. `run_script` is the non-interactive mode (`-c`, `-f`, piped input),
//! which stops at the first error.

use std::io::Write;

use anyhow::Result;

use super::lexer::{line_col, split, tokenize, Statement};
use super::parser::{parse, Stmt, SyntaxError};
use super::session::{error_message, Session};
use super::{connect, consumer, help, install, queue, show, sql};

/// Whether the console goes on after a statement.
#[derive(Debug, PartialEq)]
pub enum Flow {
    Continue,
    Quit,
}

fn dispatch(stmt: &Stmt, s: &mut Session, out: &mut dyn Write) -> Result<Flow> {
    match stmt {
        Stmt::Connect(c) => connect::run(c, s, out)?,
        Stmt::Queue(c) => queue::run(c, s, out)?,
        Stmt::Consumer(c) => consumer::run(c, s, out)?,
        Stmt::Show(c) => show::run(c, s, out)?,
        Stmt::Install(c) => install::run(c, s, out)?,
        Stmt::Help => help::print(out)?,
        Stmt::Sql(text) => sql::run(text, s, out)?,
        Stmt::Quit => return Ok(Flow::Quit),
    }
    out.flush()?;
    Ok(Flow::Continue)
}

/// Runs the statement at `st` of `buf`; an error comes back as the full text to print.
pub fn run_statement(buf: &str, st: &Statement, s: &mut Session, out: &mut dyn Write) -> Result<Flow, String> {
    let text = &buf[st.start..st.end];
    let toks = tokenize(text).tokens;
    let stmt = parse(text, &toks).map_err(|e| syntax_message(buf, st.start, &e))?;
    dispatch(&stmt, s, out).map_err(|e| {
        let mut msg = error_message(&e);
        if lost_connection(&e) {
            // Like psql: say so and reconnect now, but do not run the statement again (it may
            // have run before the connection went).
            match s.reconnect() {
                Ok(()) => msg.push_str("\nThe connection to the server was lost; reconnected."),
                Err(r) => msg.push_str(&format!("\nThe connection to the server was lost: {}", error_message(&r))),
            }
        }
        msg
    })
}

/// The server went away (restart, terminated backend, network): not a statement's own error.
fn lost_connection(e: &anyhow::Error) -> bool {
    e.chain().filter_map(|c| c.downcast_ref::<postgres::Error>()).any(|p| {
        p.is_closed()
            || std::error::Error::source(p).is_some_and(|s| s.is::<std::io::Error>())
            || p.code().is_some_and(|c| c.code().starts_with("08") || c.code().starts_with("57P"))
    })
}

/// `syntax error at line L, column C: ...` with the line and a caret under the spot, like psql.
pub fn syntax_message(buf: &str, offset: usize, e: &SyntaxError) -> String {
    let at = offset + e.pos;
    let (line, col) = line_col(buf, at);
    let text = buf.lines().nth(line - 1).unwrap_or("");
    let prefix = format!("LINE {line}: ");
    format!(
        "ERROR: syntax error at line {line}, column {col}: {}\n{prefix}{text}\n{}^",
        e.message,
        " ".repeat(prefix.len() + col - 1)
    )
}

/// Runs every statement of `text` (a missing final `;` is added); stops at the first error,
/// which is printed to `err`. Returns whether all went well.
pub fn run_script(text: &str, s: &mut Session, out: &mut dyn Write, err: &mut dyn Write) -> bool {
    let mut buf = text.to_string();
    let sp = split(&buf);
    if let Some(what) = sp.unterminated {
        let (line, col) = line_col(&buf, buf.len());
        let _ = writeln!(err, "ERROR: unterminated {what} at line {line}, column {col} (end of input)");
        return false;
    }
    if !buf[sp.rest..].trim().is_empty() {
        buf.push_str("\n;");
    }
    for st in split(&buf).statements {
        match run_statement(&buf, &st, s, out) {
            Ok(Flow::Continue) => {}
            Ok(Flow::Quit) => break,
            Err(msg) => {
                let _ = out.flush();
                let _ = writeln!(err, "{msg}");
                return false;
            }
        }
    }
    let _ = out.flush();
    true
}
