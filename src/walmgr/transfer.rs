//! How files reach the slave's storage: a local directory, or `host:path` reached with rsync over
//! ssh. Only command construction lives here (rsync and ssh argv, remote shell quoting), so the
//! remote path stays thin and testable without an ssh server.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use super::config::{absolute, WalConfig};

/// One of the slave-side directories as seen from the side that uses it.
#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    Local(PathBuf),
    Remote { host: String, path: String },
}

impl Location {
    /// `host:/path` or `user@host:/path` is remote; anything starting with `/`, `~` or `.`, or
    /// with a `/` before the first `:`, is a local path.
    pub fn parse(s: &str) -> Result<Location> {
        let s = s.trim();
        if s.is_empty() {
            bail!("empty path");
        }
        if !s.starts_with(['/', '~', '.']) {
            if let Some((host, path)) = s.split_once(':') {
                if !host.contains('/') {
                    if host.is_empty() || path.is_empty() {
                        bail!("bad remote path '{s}' (expected host:/path)");
                    }
                    return Ok(Location::Remote { host: host.to_string(), path: path.to_string() });
                }
            }
        }
        Ok(Location::Local(absolute(Path::new(s))))
    }

    pub fn local(&self) -> Option<&Path> {
        match self {
            Location::Local(p) => Some(p),
            Location::Remote { .. } => None,
        }
    }

    /// The local directory, or an error naming the command that needs one.
    pub fn require_local(&self, what: &str) -> Result<&Path> {
        self.local().with_context(|| format!("{what} needs a local directory, {self} is remote"))
    }

    /// The rsync spelling of a file or directory inside this location.
    pub fn rsync_path(&self, sub: &str) -> String {
        match self {
            Location::Local(p) => join(&p.to_string_lossy(), sub),
            Location::Remote { host, path } => format!("{host}:{}", join(path, sub)),
        }
    }
}

fn join(dir: &str, sub: &str) -> String {
    if sub.is_empty() {
        format!("{}/", dir.trim_end_matches('/'))
    } else {
        format!("{}/{sub}", dir.trim_end_matches('/'))
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Local(p) => write!(f, "{}", p.display()),
            Location::Remote { host, path } => write!(f, "{host}:{path}"),
        }
    }
}

/// ssh options for unattended use: never prompt, accept a new host key.
const SSH_OPTS: &[&str] = &["-T", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no"];

/// The ssh command with its options: the fixed ones, then `ssh_options` from the config.
fn ssh_command(ssh_opts: &[String]) -> Vec<String> {
    std::iter::once("ssh").chain(SSH_OPTS.iter().copied()).map(String::from).chain(ssh_opts.iter().cloned()).collect()
}

/// `rsync -a --quiet [-z] [extra...] -e "ssh ..." SRC... DST`.
pub fn rsync_argv(ssh_opts: &[String], compress: bool, extra: &[&str], sources: &[String], dest: &str) -> Vec<String> {
    let mut v: Vec<String> = vec!["rsync".into(), "-a".into(), "--quiet".into()];
    if compress {
        v.push("-z".into());
    }
    v.extend(extra.iter().map(|s| s.to_string()));
    v.push("-e".into());
    // rsync splits this on spaces and honours quotes, as a shell would.
    v.push(ssh_command(ssh_opts).iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" "));
    v.extend(sources.iter().cloned());
    v.push(dest.to_string());
    v
}

/// `ssh -T -o BatchMode=yes -o StrictHostKeyChecking=no HOST 'arg' 'arg'...`: the remote shell
/// sees each argument single-quoted, so paths with spaces or quotes arrive intact.
pub fn ssh_argv(ssh_opts: &[String], host: &str, remote: &[String]) -> Vec<String> {
    let mut v = ssh_command(ssh_opts);
    v.push(host.to_string());
    v.push(remote.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" "));
    v
}

/// The argv for running walmgr itself on the slave host: the same absolute binary path as here
/// and the slave's config (`slave_config`), as the original does.
pub fn remote_walmgr_argv(wc: &WalConfig, host: &str, args: &[String]) -> Result<Vec<String>> {
    let mut remote = self_argv()?;
    remote.push(wc.master().slave_config.clone());
    remote.extend(args.iter().cloned());
    Ok(ssh_argv(&wc.storage.ssh_options, host, &remote))
}

/// How to run this walmgr again (archive_command, restore_command, ssh): the absolute binary,
/// plus the tool name when the binary is the multi-call `skytools` itself.
pub fn self_argv() -> Result<Vec<String>> {
    let exe = std::env::current_exe().context("locating the walmgr binary")?;
    let mut v = vec![exe.to_string_lossy().into_owned()];
    let base = exe.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if !crate::tools::find(&base).is_some_and(|t| t.name == "walmgr") {
        v.push("walmgr".into());
    }
    Ok(v)
}

/// `self_argv` plus arguments as one shell command line.
pub fn self_command(args: &[&str]) -> Result<String> {
    let mut v: Vec<String> = self_argv()?.iter().map(|a| shell_quote(a)).collect();
    v.extend(args.iter().map(|a| a.to_string()));
    Ok(v.join(" "))
}

pub fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-=:%@,+".contains(c)) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Runs an argv, failing with its stderr. rsync's 24 (files vanished during transfer) is
/// success: PostgreSQL removes files while a backup copies them.
pub fn run_argv(argv: &[String]) -> Result<()> {
    log::debug!("running {}", argv.join(" "));
    let out = Command::new(&argv[0]).args(&argv[1..]).output().with_context(|| format!("cannot run {}", argv[0]))?;
    let ok = out.status.success() || (argv[0] == "rsync" && out.status.code() == Some(24));
    if !ok {
        bail!(
            "{} failed ({}): {}",
            argv[0],
            out.status,
            String::from_utf8_lossy(&out.stderr).trim().lines().last().unwrap_or("")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_tell_remote_from_local() {
        assert_eq!(
            Location::parse("slave1:/var/walshipping/logs.complete").unwrap(),
            Location::Remote { host: "slave1".into(), path: "/var/walshipping/logs.complete".into() }
        );
        assert_eq!(
            Location::parse("postgres@db2:walshipping").unwrap(),
            Location::Remote { host: "postgres@db2".into(), path: "walshipping".into() }
        );
        assert_eq!(Location::parse("/a/b:c").unwrap(), Location::Local("/a/b:c".into()));
        assert_eq!(Location::parse("./x/y:z").unwrap().local().unwrap(), absolute(Path::new("./x/y:z")));
        assert!(Location::parse(":/x").is_err());
        assert!(Location::parse("host:").is_err());
    }

    #[test]
    fn rsync_and_ssh_command_lines() {
        let loc = Location::parse("db2:/w/logs.complete").unwrap();
        let opts = ["-p".to_string(), "2222".into(), "-i".into(), "/k/my key".into()];
        let argv = rsync_argv(
            &opts,
            true,
            &["--delete"],
            &["/pg/pg_wal/000000010000000000000003".into()],
            &loc.rsync_path(""),
        );
        assert_eq!(
            argv,
            [
                "rsync",
                "-a",
                "--quiet",
                "-z",
                "--delete",
                "-e",
                "ssh -T -o BatchMode=yes -o StrictHostKeyChecking=no -p 2222 -i '/k/my key'",
                "/pg/pg_wal/000000010000000000000003",
                "db2:/w/logs.complete/"
            ]
        );
        let ssh = ssh_argv(&[], "db2", &["/usr/bin/walmgr".into(), "/etc/wal slave.ini".into(), "it's".into()]);
        assert_eq!(
            ssh,
            [
                "ssh",
                "-T",
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=no",
                "db2",
                "/usr/bin/walmgr '/etc/wal slave.ini' 'it'\\''s'"
            ]
        );
    }
}
