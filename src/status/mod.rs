//! `skytools status`: one look at a database's PgQ — every queue (ticker lag, throughput,
//! current table, rotation and what holds it back) and every consumer (lag, last seen,
//! pending events, open batch) — as aligned text or one JSON document, with monitoring-plugin
//! exit codes against lag and last-seen thresholds.

mod check;
mod collect;
mod text;

use std::process::ExitCode;

use anyhow::{anyhow, Result};
use clap::{Arg, ArgAction, ArgMatches, Command};
use serde::Serialize;

use crate::script::db;
pub use check::{Level, Problem, Thresholds};
pub use collect::{ConsumerStatus, QueueStatus, Snapshot};

pub const ABOUT: &str = "show queues and consumers of a database; monitoring exit codes";

pub fn cli() -> Command {
    let secs = |name: &'static str, help: &'static str| Arg::new(name).long(name).value_name("SECONDS").help(help);
    Command::new("status")
        .about(ABOUT)
        .long_about(
            "Shows every PgQ queue of a database (ticker lag, events per second, events not yet \
             ticked, current event table, last and next rotation and the consumer that blocks \
             it) and every consumer (lag, last seen, pending events, current batch).\n\n\
             Exit status follows the monitoring-plugin convention: 0 OK, 1 WARNING, 2 CRITICAL \
             (a consumer past a --warn-*/--crit-* threshold), 3 UNKNOWN (cannot connect, pgq not \
             installed, no such --queue). The first output line states the status and its reason.",
        )
        .after_long_help(
            "The --json document is described in doc/status.md; its field names are stable.\n\n\
             Example (Nagios/Icinga check):\n  skytools status --db 'dbname=app' --warn-lag 60 \
             --crit-lag 300 --crit-last-seen 600",
        )
        .arg(Arg::new("db").long("db").value_name("CONNSTR").help("libpq connect string (required)"))
        .arg(Arg::new("queue").long("queue").value_name("QUEUE").help("only this queue and its consumers"))
        .arg(Arg::new("json").long("json").action(ArgAction::SetTrue).help("print one JSON document"))
        .arg(secs("warn-lag", "WARNING when a consumer lags more than this"))
        .arg(secs("crit-lag", "CRITICAL when a consumer lags more than this"))
        .arg(secs("warn-last-seen", "WARNING when a consumer was last seen longer ago than this"))
        .arg(secs("crit-last-seen", "CRITICAL when a consumer was last seen longer ago than this"))
}

/// The command line, resolved.
#[derive(Debug, Clone)]
pub struct StatusOptions {
    pub connstr: String,
    pub queue: Option<String>,
    pub json: bool,
    pub thresholds: Thresholds,
}

impl StatusOptions {
    /// Checked here rather than by clap so that a bad check command line exits 3 (UNKNOWN), as
    /// monitoring expects, not with clap's usage status 2, which would read as CRITICAL.
    fn from_matches(m: &ArgMatches) -> Result<StatusOptions> {
        let secs = |k: &str| -> Result<Option<f64>> {
            m.get_one::<String>(k)
                .map(|v| v.parse::<f64>().map_err(|_| anyhow!("--{k}: '{v}' is not a number of seconds")))
                .transpose()
        };
        Ok(StatusOptions {
            connstr: m.get_one::<String>("db").cloned().ok_or_else(|| anyhow!("--db CONNSTR is required"))?,
            queue: m.get_one::<String>("queue").cloned(),
            json: m.get_flag("json"),
            thresholds: Thresholds {
                warn_lag: secs("warn-lag")?,
                crit_lag: secs("crit-lag")?,
                warn_last_seen: secs("warn-last-seen")?,
                crit_last_seen: secs("crit-last-seen")?,
            },
        })
    }
}

/// The `--json` document: the verdict, then the snapshot's fields (absent when UNKNOWN).
#[derive(Debug, Serialize)]
pub struct Report {
    pub status: Level,
    pub exit_code: u8,
    pub reason: String,
    pub problems: Vec<Problem>,
    #[serde(flatten)]
    pub snapshot: Option<Snapshot>,
}

/// Connects, reads and judges; never fails: trouble reading is an UNKNOWN report.
pub fn report(opts: &StatusOptions) -> Report {
    let snap = db::connect_str(&opts.connstr, "skytools status")
        .and_then(|mut c| collect::collect(&mut c, opts.queue.as_deref()));
    match snap {
        Ok(snap) => {
            let problems = check::evaluate(&snap, &opts.thresholds);
            let (status, reason) = check::verdict(&snap, &problems);
            Report { status, exit_code: status.exit_code(), reason, problems, snapshot: Some(snap) }
        }
        Err(e) => Report {
            status: Level::Unknown,
            exit_code: Level::Unknown.exit_code(),
            reason: db::anyhow_text(&e),
            problems: Vec::new(),
            snapshot: None,
        },
    }
}

pub fn run(_invoked_as: &str, m: &ArgMatches) -> ExitCode {
    let opts = match StatusOptions::from_matches(m) {
        Ok(o) => o,
        Err(e) => {
            println!("PGQ UNKNOWN: {e}");
            return ExitCode::from(Level::Unknown.exit_code());
        }
    };
    let r = report(&opts);
    if opts.json {
        println!("{}", serde_json::to_string_pretty(&r).expect("plain data serialises"));
    } else {
        match &r.snapshot {
            Some(snap) => print!("{}", text::render(snap, r.status, &r.reason, &r.problems)),
            None => println!("PGQ {}: {}", r.status.word(), r.reason),
        }
    }
    ExitCode::from(r.exit_code)
}
