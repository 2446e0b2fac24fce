//! `skytools install-links DIR`: creates the tool symlinks (pgqd, londiste, ...) next to a path.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{value_parser, Arg, ArgMatches, Command};

pub const ABOUT: &str = "create the tool symlinks (pgqd, londiste, walmgr, qadmin, ...) in DIR";

pub fn cli() -> Command {
    Command::new("install-links")
        .about(ABOUT)
        .arg(Arg::new("dir").required(true).value_parser(value_parser!(PathBuf)))
        .arg(
            Arg::new("target")
                .long("target")
                .value_parser(value_parser!(PathBuf))
                .help("what the links point at (default: this executable)"),
        )
}

pub fn run(_invoked_as: &str, m: &ArgMatches) -> ExitCode {
    let dir = m.get_one::<PathBuf>("dir").expect("required");
    let target = match m.get_one::<PathBuf>("target") {
        Some(t) => t.clone(),
        None => match std::env::current_exe() {
            Ok(p) => p,
            Err(e) => {
                eprintln!("install-links: cannot find own executable: {e}");
                return ExitCode::from(1);
            }
        },
    };
    for name in super::link_names() {
        let link = dir.join(name);
        if link.symlink_metadata().is_ok() {
            if let Err(e) = std::fs::remove_file(&link) {
                eprintln!("install-links: cannot replace {}: {e}", link.display());
                return ExitCode::from(1);
            }
        }
        if let Err(e) = std::os::unix::fs::symlink(&target, &link) {
            eprintln!("install-links: cannot create {}: {e}", link.display());
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}
