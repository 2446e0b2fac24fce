//! The interactive console: rustyline for line editing, history in `~/.qadmin_history` and tab
//! completion (`complete`), statements that may span lines, errors that do not end the session.

use std::cell::RefCell;
use std::io::Write;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use postgres::{CancelToken, NoTls};

use rustyline::completion::Completer;
use rustyline::config::{CompletionType, Config};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::FileHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};

use super::complete::{complete, Names};
use super::lexer::split;
use super::runner::{run_statement, Flow};
use super::session::{self, Session};

/// What the completer sees: the earlier lines of an unfinished statement and the names.
#[derive(Default)]
struct State {
    pending: String,
    names: Names,
}

struct QHelper {
    state: Rc<RefCell<State>>,
}

impl Completer for QHelper {
    type Candidate = String;

    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<String>)> {
        let st = self.state.borrow();
        let text = format!("{}{}", st.pending, &line[..pos]);
        let (start, cands) = complete(&text, &st.names);
        match start.checked_sub(st.pending.len()) {
            Some(start) => Ok((start, cands)),
            None => Ok((pos, Vec::new())),
        }
    }
}

impl Hinter for QHelper {
    type Hint = String;
}
impl Highlighter for QHelper {}
impl Validator for QHelper {}
impl Helper for QHelper {}

fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".qadmin_history"))
}

/// Ctrl-C while a statement runs cancels it on the server, as in psql, instead of ending the
/// console. (While a line is typed the terminal is raw, so rustyline sees Ctrl-C as a key.)
fn cancel_on_interrupt() -> Arc<Mutex<Option<CancelToken>>> {
    let running: Arc<Mutex<Option<CancelToken>>> = Arc::default();
    let target = running.clone();
    match signal_hook::iterator::Signals::new([signal_hook::consts::SIGINT]) {
        Ok(mut signals) => {
            std::thread::spawn(move || {
                for _ in signals.forever() {
                    let token = target.lock().expect("not poisoned").clone();
                    if let Some(t) = token {
                        let _ = t.cancel_query(NoTls);
                    }
                }
            });
        }
        Err(e) => eprintln!("WARNING: Ctrl-C will end qadmin, not cancel a statement: {e}"),
    }
    running
}

/// Runs the console until `quit;`, `exit;` or end of input. Returns false when the terminal
/// could not be driven.
pub fn interactive(s: &mut Session) -> bool {
    match s.client().and_then(session::versions) {
        Ok((server, _)) => {
            println!("Welcome to qadmin {} (server {server}), the PgQ interactive terminal.", env!("CARGO_PKG_VERSION"))
        }
        Err(e) => eprintln!("{}", session::error_message(&e)),
    }
    println!("Use 'show help;' to see available commands.");
    let config =
        Config::builder().completion_type(CompletionType::List).auto_add_history(false).history_ignore_dups(true);
    let state = Rc::new(RefCell::new(State::default()));
    let mut ed: Editor<QHelper, FileHistory> = match config.and_then(|c| Editor::with_config(c.build())) {
        Ok(ed) => ed,
        Err(e) => {
            eprintln!("ERROR: cannot use the terminal: {e}");
            return false;
        }
    };
    ed.set_helper(Some(QHelper { state: state.clone() }));
    let history = history_path();
    if let Some(h) = &history {
        // A missing history file is the normal first run.
        let _ = ed.load_history(h);
    }
    let mut out = std::io::stdout();
    let running = cancel_on_interrupt();
    loop {
        state.borrow_mut().names = s.names();
        let prompt = {
            let p = s.prompt();
            if state.borrow().pending.is_empty() {
                p
            } else {
                format!("{}-> ", p.trim_end().trim_end_matches('>'))
            }
        };
        let line = match ed.readline(&prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                state.borrow_mut().pending.clear();
                continue;
            }
            Err(ReadlineError::Eof) => {
                println!();
                break;
            }
            Err(e) => {
                eprintln!("ERROR: reading input: {e}");
                break;
            }
        };
        if !line.trim().is_empty() {
            let _ = ed.add_history_entry(line.as_str());
            if let Some(h) = &history {
                if let Err(e) = ed.append_history(h) {
                    eprintln!("WARNING: cannot write history file {}: {e}", h.display());
                }
            }
        }
        // psql's ways out, without the `;`, when no statement is open.
        if state.borrow().pending.is_empty() && matches!(line.trim(), "\\q" | "quit" | "exit") {
            return true;
        }
        let buf = {
            let mut st = state.borrow_mut();
            st.pending.push_str(&line);
            st.pending.push('\n');
            st.pending.clone()
        };
        let sp = split(&buf);
        for st in &sp.statements {
            *running.lock().expect("not poisoned") = s.client().ok().map(|c| c.cancel_token());
            let result = run_statement(&buf, st, s, &mut out);
            *running.lock().expect("not poisoned") = None;
            match result {
                Ok(Flow::Continue) => {}
                Ok(Flow::Quit) => return true,
                Err(msg) => {
                    let _ = out.flush();
                    eprintln!("{msg}");
                }
            }
        }
        let rest = buf[sp.rest..].to_string();
        state.borrow_mut().pending = if rest.trim().is_empty() { String::new() } else { rest };
    }
    true
}
