//! The tool table: one entry per tool with its names, one-line summary, clap command and run
//! function. Adding a tool is one line in `TOOLS`.

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use clap::{ArgMatches, Command};

mod generate;
mod install;
mod links;

/// One tool of the multi-call binary.
pub struct Tool {
    /// Canonical name, also the subcommand of `skytools`.
    pub name: &'static str,
    /// Legacy names accepted as argv[0] or subcommand (`londiste3`, `walmgr3`, ...).
    pub aliases: &'static [&'static str],
    pub about: &'static str,
    pub cli: fn() -> Command,
    pub run: fn(&str, &ArgMatches) -> ExitCode,
    /// Exit code for a command-line usage error: 2 as optparse/clap, but 3 (UNKNOWN) for the
    /// monitoring check, where 2 would read as CRITICAL.
    pub usage_exit: u8,
}

pub const TOOLS: &[Tool] = &[
    Tool { name: "install", aliases: &[], about: install::ABOUT, cli: install::cli, run: install::run, usage_exit: 2 },
    Tool {
        name: "pgqd",
        aliases: &[],
        about: crate::ticker::ABOUT,
        cli: crate::ticker::cli,
        run: crate::ticker::run,
        usage_exit: 2,
    },
    Tool { name: "install-links", aliases: &[], about: links::ABOUT, cli: links::cli, run: links::run, usage_exit: 2 },
    Tool {
        name: "data_maintainer",
        aliases: &["data_maintainer3"],
        about: crate::data_maintainer::ABOUT,
        cli: crate::data_maintainer::cli,
        run: crate::data_maintainer::run,
        usage_exit: 2,
    },
    Tool {
        name: "status",
        aliases: &[],
        about: crate::status::ABOUT,
        cli: crate::status::cli,
        run: crate::status::run,
        usage_exit: 3,
    },
    Tool {
        name: "generate",
        aliases: &[],
        about: generate::ABOUT,
        cli: generate::cli,
        run: generate::run,
        usage_exit: 2,
    },
    Tool {
        name: "qadmin",
        aliases: &[],
        about: crate::qadmin::ABOUT,
        cli: crate::qadmin::cli,
        run: crate::qadmin::run,
        usage_exit: 2,
    },
    Tool {
        name: "walmgr",
        aliases: &["walmgr3"],
        about: crate::walmgr::ABOUT,
        cli: crate::walmgr::cli,
        run: crate::walmgr::run,
        usage_exit: 2,
    },
];

/// Finds a tool by a name as typed: `londiste3`, `walmgr.py` and `pgqd` all count.
pub fn find(name: &str) -> Option<&'static Tool> {
    let base = name.strip_suffix(".py").unwrap_or(name);
    TOOLS.iter().find(|t| t.name == base || t.aliases.contains(&base))
}

/// Names that get a symlink from `install-links`: every tool but the skytools-only helpers.
pub fn link_names() -> impl Iterator<Item = &'static str> {
    TOOLS
        .iter()
        .filter(|t| !matches!(t.name, "install" | "install-links" | "generate" | "status"))
        .flat_map(|t| std::iter::once(t.name).chain(t.aliases.iter().copied()))
}

pub(crate) fn top_cli() -> Command {
    let mut list = String::from("Tools (also callable through a symlink of that name):\n");
    for t in TOOLS.iter().filter(|t| t.name != "generate") {
        list.push_str(&format!("  {:<16} {}\n", t.name, t.about));
    }
    Command::new("skytools")
        .version(env!("CARGO_PKG_VERSION"))
        .about("PgQ queues, the pgqd ticker, Londiste replication, walmgr and qadmin in one binary")
        .override_usage("skytools TOOL [ARGS...]\n       TOOL [ARGS...]   (through a symlink named after the tool)")
        .after_help(list)
        .arg(clap::Arg::new("tool").value_name("TOOL"))
        .arg(clap::Arg::new("args").num_args(0..).trailing_var_arg(true).allow_hyphen_values(true))
}

/// Runs the tool named by argv[0], or by the first argument when called as `skytools`.
pub fn dispatch(args: Vec<OsString>) -> ExitCode {
    let argv0 = args
        .first()
        .map(|a| Path::new(a).file_name().unwrap_or(a).to_string_lossy().into_owned())
        .unwrap_or_else(|| "skytools".into());
    if argv0 != "skytools" {
        return match find(&argv0) {
            Some(tool) => run_tool(tool, &argv0, args),
            None => {
                eprintln!("skytools: unknown tool '{argv0}' (called as {argv0}); see skytools --help");
                ExitCode::from(1)
            }
        };
    }
    let rest: Vec<OsString> = args.into_iter().skip(1).collect();
    match rest.first().map(|a| a.to_string_lossy().into_owned()) {
        None => {
            let _ = top_cli().print_help();
            ExitCode::from(1)
        }
        Some(first) if first.starts_with('-') => {
            match top_cli().try_get_matches_from(std::iter::once(OsString::from("skytools")).chain(rest)) {
                Ok(_) => {
                    let _ = top_cli().print_help();
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    let _ = e.print();
                    ExitCode::from(if e.use_stderr() { 1 } else { 0 })
                }
            }
        }
        Some(first) => match find(&first) {
            Some(tool) => run_tool(tool, &first, rest),
            None => {
                eprintln!("skytools: unknown tool '{first}'; see skytools --help");
                ExitCode::from(1)
            }
        },
    }
}

fn run_tool(tool: &Tool, invoked_as: &str, args: Vec<OsString>) -> ExitCode {
    let cmd = (tool.cli)().name(invoked_as.to_string());
    match cmd.try_get_matches_from(args) {
        Ok(m) => (tool.run)(invoked_as, &m),
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => tool.usage_exit,
            };
            let _ = e.print();
            ExitCode::from(code)
        }
    }
}
