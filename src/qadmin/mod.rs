//! qadmin, the PgQ admin console: psql-like switches, then either the statements of `-c`, `-f`
//! or piped input (stopping at the first error), or an interactive session on a terminal.
//! Statements are tokenized (`lexer`), parsed (`parser` and each command family's `parse`), and
//! run by their family's file; line editing (`editor`) is kept apart from all of that.

mod complete;
mod connect;
mod consumer;
mod ddl;
mod editor;
mod help;
mod install;
mod lexer;
mod output;
mod parser;
mod queue;
mod runner;
mod session;
mod show;
mod sql;

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::script::connstr::ConnStr;
use session::Session;

pub const ABOUT: &str = "the interactive PgQ admin console";

pub fn cli() -> Command {
    let opt = |id: &'static str, short: char, long: &'static str, value: &'static str, help: &'static str| {
        Arg::new(id).short(short).long(long).value_name(value).help(help)
    };
    Command::new("qadmin")
        .about(ABOUT)
        .long_about(
            "The PgQ admin console: create and drop queues, change their ticker settings, register \
             consumers, look at queues, consumers, batches and cascade nodes, install the SQL modules, \
             and run plain SQL. Statements end with \";\" and may span lines; \"help;\" lists them.\n\n\
             With -c or -f (or input from a pipe) the statements run one after the other and qadmin \
             exits with status 1 at the first error, printing it. On a terminal it is interactive, \
             with line editing, history in ~/.qadmin_history and tab completion of commands, queue, \
             consumer and node names.",
        )
        .override_usage("qadmin [OPTIONS] [DBNAME | CONNSTR]")
        .after_long_help(format!("Statements:\n\n{}", help::HELP))
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(opt("host", 'h', "host", "HOST", "database server host or socket directory"))
        .arg(opt("port", 'p', "port", "PORT", "database server port"))
        .arg(opt("user", 'U', "user", "USER", "database user name"))
        .arg(opt("dbname", 'd', "dbname", "DBNAME", "database to connect to"))
        .arg(opt("queue", 'Q', "queue", "QUEUE", "default queue"))
        .arg(opt(
            "command",
            'c',
            "command",
            "COMMANDS",
            "run these statements and exit (a missing final \";\" is added)",
        ))
        .arg(opt("file", 'f', "file", "FILE", "run the statements in FILE (\"-\": standard input) and exit"))
        .arg(Arg::new("help").long("help").action(ArgAction::Help).help("print help"))
        .arg(Arg::new("version").short('V').long("version").action(ArgAction::SetTrue).help("print the version"))
        .arg(
            Arg::new("target")
                .value_name("DBNAME | CONNSTR")
                .num_args(0..)
                .help("database name or libpq connect string"),
        )
}

/// The command line, resolved.
struct Options {
    connstr: ConnStr,
    queue: Option<String>,
    input: Input,
}

enum Input {
    Command(String),
    File(PathBuf),
    /// A terminal, or else piped statements.
    Stdin,
}

impl Options {
    fn from_matches(m: &ArgMatches) -> Result<Options> {
        let targets: Vec<&String> = m.get_many::<String>("target").into_iter().flatten().collect();
        if targets.len() > 1 {
            bail!("too many arguments, use --help to see syntax");
        }
        let mut connstr = match targets.first() {
            Some(t) if t.contains('=') => ConnStr::parse(t).context("bad connect string")?,
            Some(db) => ConnStr::default().with("dbname", db),
            None => ConnStr::default(),
        };
        for key in ["host", "port", "user", "dbname"] {
            if let Some(v) = m.get_one::<String>(key) {
                connstr = connstr.with(key, v);
            }
        }
        let input = match (m.get_one::<String>("command"), m.get_one::<String>("file")) {
            (Some(_), Some(_)) => bail!("cannot handle -c and -f together"),
            (Some(c), None) => Input::Command(c.clone()),
            (None, Some(f)) => Input::File(PathBuf::from(f)),
            (None, None) => Input::Stdin,
        };
        Ok(Options { connstr, queue: m.get_one::<String>("queue").cloned(), input })
    }
}

pub fn run(_invoked_as: &str, m: &ArgMatches) -> ExitCode {
    if m.get_flag("version") {
        println!("qadmin version {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    match Options::from_matches(m).and_then(|o| main(&o)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("{}", session::error_message(&e));
            ExitCode::from(1)
        }
    }
}

fn main(o: &Options) -> Result<bool> {
    let mut s = Session::connect(o.connstr.clone())?;
    if let Some(q) = &o.queue {
        s.require_queue(q)?;
        s.queue = Some(q.clone());
    }
    let text = match &o.input {
        Input::Command(c) => c.clone(),
        Input::File(f) if f.as_os_str() == "-" => read_stdin()?,
        Input::File(f) => std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?,
        Input::Stdin if std::io::stdin().is_terminal() => return Ok(editor::interactive(&mut s)),
        Input::Stdin => read_stdin()?,
    };
    Ok(runner::run_script(&text, &mut s, &mut std::io::stdout(), &mut std::io::stderr()))
}

fn read_stdin() -> Result<String> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).context("reading standard input")?;
    Ok(text)
}
