//! `skytools install MODULE... --db CONNSTR`: installs or upgrades embedded SQL modules.

use std::process::ExitCode;

use clap::{Arg, ArgMatches, Command};

pub const ABOUT: &str = "install or upgrade the pgq, pgq_coop, pgq_ext SQL modules in a database";

pub fn cli() -> Command {
    Command::new("install")
        .about(ABOUT)
        .arg(Arg::new("modules").required(true).num_args(1..).value_name("MODULE"))
        .arg(Arg::new("db").long("db").required(true).value_name("CONNSTR"))
}

pub fn run(_invoked_as: &str, m: &ArgMatches) -> ExitCode {
    for name in m.get_many::<String>("modules").into_iter().flatten() {
        if crate::sqlmod::find(name).is_none() {
            eprintln!("install: unknown module '{name}' (known: pgq, pgq_coop, pgq_ext)");
            return ExitCode::from(1);
        }
    }
    eprintln!("install: not implemented yet");
    ExitCode::from(1)
}
