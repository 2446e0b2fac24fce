//! `skytools install MODULE... --db CONNSTR`: installs or upgrades embedded SQL modules.

use std::process::ExitCode;

use clap::{Arg, ArgMatches, Command};

use crate::script::db;
use crate::sqlmod::install;

pub const ABOUT: &str = "install or upgrade the pgq, pgq_coop, pgq_ext SQL modules in a database";

pub fn cli() -> Command {
    Command::new("install")
        .about(ABOUT)
        .long_about(
            "Installs or upgrades SQL modules in one database, in one transaction. Modules a \
             module requires are installed first. Running it again upgrades the functions and \
             keeps tables and queued events; an existing original PgQ 3.x install is adopted.",
        )
        .arg(Arg::new("modules").required(true).num_args(1..).value_name("MODULE"))
        .arg(
            Arg::new("db").long("db").required(true).value_name("CONNSTR").help("libpq connect string of the database"),
        )
}

pub fn run(_invoked_as: &str, m: &ArgMatches) -> ExitCode {
    let names: Vec<&str> = m.get_many::<String>("modules").into_iter().flatten().map(String::as_str).collect();
    let connstr = m.get_one::<String>("db").expect("required");
    let result = install::resolve(&names).and_then(|_| {
        let mut client = db::connect_str(connstr, "skytools install")?;
        install::install(&mut client, &names)
    });
    match result {
        Ok(done) => {
            for i in done {
                let after = i.after.as_deref().unwrap_or("?");
                match i.before {
                    None => println!("{}: installed {after}", i.module),
                    Some(b) => println!("{}: upgraded {b} -> {after}", i.module),
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("install: {}", db::anyhow_text(&e));
            ExitCode::from(1)
        }
    }
}
