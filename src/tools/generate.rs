//! `skytools generate man|completions DIR`: man pages and shell completions from the same clap
//! definitions the tools parse with, so they never drift from the real command lines.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{value_parser, Arg, ArgMatches, Command};
use clap_complete::Shell;

pub const ABOUT: &str = "write man pages or shell completions for every tool into DIR";

pub fn cli() -> Command {
    Command::new("generate")
        .about(ABOUT)
        .hide(true)
        .arg(Arg::new("what").required(true).value_parser(["man", "completions"]))
        .arg(Arg::new("dir").required(true).value_parser(value_parser!(PathBuf)))
}

pub fn run(_invoked_as: &str, m: &ArgMatches) -> ExitCode {
    let dir = m.get_one::<PathBuf>("dir").expect("required");
    let result = match m.get_one::<String>("what").map(String::as_str) {
        Some("man") => write_man(dir),
        _ => write_completions(dir),
    };
    match result {
        Ok(n) => {
            println!("wrote {n} files to {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("generate: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Each tool's command under its page name: tools with a symlink keep their own name, the
/// skytools-only helpers become `skytools-NAME` (no clash with coreutils' install(1)).
fn tool_commands() -> impl Iterator<Item = Command> {
    super::TOOLS.iter().filter(|t| t.name != "generate").map(|t| {
        let name =
            if super::link_names().any(|n| n == t.name) { t.name.to_string() } else { format!("skytools-{}", t.name) };
        (t.cli)().name(name).about(t.about)
    })
}

fn write_man(dir: &Path) -> Result<usize> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut n = 0;
    for cmd in tool_commands().chain(std::iter::once(super::top_cli())) {
        let name = cmd.get_name().to_string();
        let path = dir.join(format!("{name}.1"));
        let mut buf = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut buf)?;
        std::fs::write(&path, buf).with_context(|| format!("writing {}", path.display()))?;
        n += 1;
    }
    Ok(n)
}

fn write_completions(dir: &Path) -> Result<usize> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut n = 0;
    for mut cmd in tool_commands() {
        let name = cmd.get_name().to_string();
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            clap_complete::generate_to(shell, &mut cmd, &name, dir)
                .with_context(|| format!("completions for {name}"))?;
            n += 1;
        }
    }
    Ok(n)
}
