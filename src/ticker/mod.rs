//! pgqd, the PgQ ticker and maintenance daemon: one process serves every PgQ database of a
//! cluster (or a configured list), ticking their queues, moving retry events back and rotating
//! and vacuuming pgq's tables. One thread per database, so one slow database delays no other.

mod failures;
mod http;
mod maint;
mod metrics;
mod rawtick;
mod session;
mod settings;
mod slots;
mod socket;
mod stats;
mod stopper;
mod supervisor;
mod tick;
mod wakeup;
mod worker;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Command;

use crate::script::cli::{common_args, ScriptOptions};
use crate::script::logging::{self, Style};
use crate::script::runner::{self, ScriptSpec};
use crate::script::syslog::{Syslog, DEFAULT_SOCKET};

pub use settings::Settings;

pub const ABOUT: &str = "PgQ ticker and maintenance daemon";

const SPEC: ScriptSpec = ScriptSpec {
    name: "pgqd",
    sections: &["pgqd"],
    ini_template: include_str!("pgqd.ini"),
    log_style: Style::Libusual,
    loop_delay: 1.0,
};

pub fn cli() -> Command {
    common_args(Command::new("pgqd"))
        .about(ABOUT)
        .override_usage("pgqd [switches] pgqd.ini")
        .long_about(
            "Ticks every PgQ queue of the served databases (pgq.ticker() every ticker_period), moves \
             due retry events back into their queues every retry_period, and every maint_period \
             runs the maintenance pgq lists: event table rotation, the queues' extra maintenance \
             functions and vacuum of pgq's tables. Serves the databases named in database_list, or \
             else every database of the cluster with pgq installed, re-checked every check_period. \
             Works with this project's pgq and with the original C PgQ 3.x.",
        )
        .after_long_help(
            "Signals: HUP re-reads the config (a database added to database_list is served from \
             then on), INT stops cleanly, TERM exits at once with status 1. -s, -k and -r send \
             INT, TERM and HUP to the process named in the pidfile.",
        )
}

pub fn run(_invoked_as: &str, m: &clap::ArgMatches) -> ExitCode {
    let opts = match ScriptOptions::from_matches(m) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("pgqd: {e:#}");
            return ExitCode::from(1);
        }
    };
    if opts.config.is_none() && !opts.version && !opts.print_ini {
        eprintln!("pgqd requires config file");
        return ExitCode::from(1);
    }
    let (cfg, log) = match runner::prepare(&SPEC, &opts) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let settings = match Settings::from_config(&cfg) {
        Ok(s) => s,
        Err(e) => {
            log::error!("{e:#}");
            return ExitCode::from(1);
        }
    };
    if settings.syslog {
        // The facility name was checked with the other settings.
        if let Ok(s) = Syslog::new(&settings.syslog_ident, &settings.syslog_facility, DEFAULT_SOCKET.into()) {
            logging::set_syslog(Some(s));
        }
    }
    let mut running = match runner::start(&SPEC, &opts, &cfg, log) {
        Ok(r) => r,
        Err(e) => {
            log::error!("{e:#}");
            return ExitCode::from(1);
        }
    };
    log::info!("Starting pgqd {}", env!("CARGO_PKG_VERSION"));
    let metrics_listen = settings.metrics_listen;
    let shared = Arc::new(worker::Shared::new(settings, running.signals.clone()));
    if let Some(addr) = metrics_listen {
        if let Err(e) = http::serve(addr, metrics::Collector::new(shared.clone())) {
            log::error!("{e:#}");
            running.failed(&format!("pgqd: {e:#}"));
            return ExitCode::from(1);
        }
    }
    let supervisor = match supervisor::Supervisor::new(cfg, shared) {
        Ok(s) => s,
        Err(e) => {
            log::error!("{e:#}");
            running.failed(&format!("pgqd: {e:#}"));
            return ExitCode::from(1);
        }
    };
    running.started();
    supervisor.run()
}
