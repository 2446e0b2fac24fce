//! The switches every Skytools script accepts (`-v -q -d -r -s -k --ini --set -V -h`, then the
//! config file and the command), defined once and turned into a plain `ScriptOptions`.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Arg, ArgAction, ArgMatches, Command};
use nix::sys::signal::Signal;

use super::config::parse_override;

/// Adds the common switches and the positional `config` and `args` to a tool's command.
pub fn common_args(cmd: Command) -> Command {
    cmd.disable_version_flag(true)
        .arg(
            Arg::new("verbose")
                .short('v')
                .long("verbose")
                .action(ArgAction::Count)
                .help("more logging (repeat for trace)"),
        )
        .arg(Arg::new("quiet").short('q').long("quiet").action(ArgAction::SetTrue).help("log only warnings and errors"))
        .arg(
            Arg::new("daemon")
                .short('d')
                .long("daemon")
                .action(ArgAction::SetTrue)
                .help("go to background (needs pidfile)"),
        )
        .arg(
            Arg::new("reload")
                .short('r')
                .long("reload")
                .action(ArgAction::SetTrue)
                .help("reload config of the running process (SIGHUP)"),
        )
        .arg(
            Arg::new("stop")
                .short('s')
                .long("stop")
                .action(ArgAction::SetTrue)
                .help("stop the running process gracefully (SIGINT)"),
        )
        .arg(
            Arg::new("kill")
                .short('k')
                .long("kill")
                .action(ArgAction::SetTrue)
                .help("stop the running process at once (SIGTERM)"),
        )
        .arg(Arg::new("ini").long("ini").action(ArgAction::SetTrue).help("print a sample config file and exit"))
        .arg(
            Arg::new("set")
                .long("set")
                .action(ArgAction::Append)
                .value_name("KEY=VAL")
                .help("override a config value (repeatable)"),
        )
        .arg(Arg::new("version").short('V').long("version").action(ArgAction::SetTrue).help("print version and exit"))
        .arg(Arg::new("config").value_name("CONFIG").value_parser(clap::value_parser!(PathBuf)).help("config file"))
        .arg(Arg::new("args").value_name("ARGS").num_args(0..).help("command and its arguments"))
}

/// The common switches, resolved.
#[derive(Debug, Clone, Default)]
pub struct ScriptOptions {
    pub verbose: u8,
    pub quiet: bool,
    pub daemon: bool,
    /// `-r`, `-s` or `-k`: signal the running process instead of running.
    pub send_signal: Option<Signal>,
    pub print_ini: bool,
    pub version: bool,
    pub overrides: Vec<(String, String)>,
    pub config: Option<PathBuf>,
    pub args: Vec<String>,
}

impl ScriptOptions {
    pub fn from_matches(m: &ArgMatches) -> Result<ScriptOptions> {
        let send_signal = if m.get_flag("kill") {
            Some(Signal::SIGTERM)
        } else if m.get_flag("stop") {
            Some(Signal::SIGINT)
        } else if m.get_flag("reload") {
            Some(Signal::SIGHUP)
        } else {
            None
        };
        let overrides =
            m.get_many::<String>("set").into_iter().flatten().map(|s| parse_override(s)).collect::<Result<Vec<_>>>()?;
        Ok(ScriptOptions {
            verbose: m.get_count("verbose"),
            quiet: m.get_flag("quiet"),
            daemon: m.get_flag("daemon"),
            send_signal,
            print_ini: m.get_flag("ini"),
            version: m.get_flag("version"),
            overrides,
            config: m.get_one::<PathBuf>("config").cloned(),
            args: m.get_many::<String>("args").into_iter().flatten().cloned().collect(),
        })
    }
}
