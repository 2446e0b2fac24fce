//! The account set-up switches of walmgr3: `--ssh-keygen` (an ed25519 key for the master's rsync
//! and ssh; walmgr3 made DSA keys, which OpenSSH no longer accepts), `--ssh-add-key FILE` /
//! `--ssh-remove-key KEYSTR` (the slave's authorized_keys), `--add-password FILE` /
//! `--remove-password` (the replication line of ~/.pgpass for primary_conninfo).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::script::config::expand_home;
use crate::script::connstr::ConnStr;

fn ssh_dir() -> Result<PathBuf> {
    let dir = expand_home("~/.ssh");
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))?;
    Ok(dir)
}

/// Creates `~/.ssh/id_ed25519` unless it exists and prints the public key.
pub fn keygen() -> Result<()> {
    let key = ssh_dir()?.join("id_ed25519");
    if !key.exists() {
        let st = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&key)
            .status()
            .context("running ssh-keygen")?;
        if !st.success() {
            bail!("ssh-keygen failed ({st})");
        }
    }
    let public = key.with_extension("pub");
    print!("{}", fs::read_to_string(&public).with_context(|| format!("reading {}", public.display()))?);
    Ok(())
}

/// Rewrites a file keeping only the lines `keep` accepts, then adds `add` at the top or bottom.
fn edit_lines(path: &Path, keep: impl Fn(&str) -> bool, add: Option<(&str, bool)>) -> Result<()> {
    let old = fs::read_to_string(path).unwrap_or_default();
    let mut lines: Vec<&str> = old.lines().filter(|l| keep(l)).collect();
    match add {
        Some((line, true)) => lines.insert(0, line),
        Some((line, false)) => lines.push(line),
        None => {}
    }
    let mut text = lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    Ok(())
}

pub fn add_key(file: &Path) -> Result<()> {
    let key = fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let key = key.trim();
    if key.is_empty() || key.contains('\n') {
        bail!("{} must hold one public key line", file.display());
    }
    edit_lines(&ssh_dir()?.join("authorized_keys"), |l| l.trim() != key, Some((key, false)))
}

pub fn remove_key(keystr: &str) -> Result<()> {
    edit_lines(&ssh_dir()?.join("authorized_keys"), |l| !l.contains(keystr), None)
}

/// `host:port:replication:user:` of primary_conninfo, the start of its ~/.pgpass line.
fn pgpass_prefix(conninfo: &str) -> Result<String> {
    let c = ConnStr::parse(conninfo).context("bad primary_conninfo")?;
    let get = |k: &str, d: &str| c.get(k).map(str::to_string).unwrap_or_else(|| d.to_string());
    let user = get("user", &std::env::var("USER").unwrap_or_else(|_| "postgres".into()));
    Ok(format!("{}:{}:replication:{user}:", get("host", "localhost"), get("port", "5432")))
}

pub fn add_password(conninfo: &str, file: &Path) -> Result<()> {
    let pwd = fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let prefix = pgpass_prefix(conninfo)?;
    let line = format!("{prefix}{}", pwd.trim_end_matches(['\n', '\r']));
    edit_lines(&expand_home("~/.pgpass"), |l| !l.starts_with(&prefix), Some((&line, true)))
}

pub fn remove_password(conninfo: &str) -> Result<()> {
    let prefix = pgpass_prefix(conninfo)?;
    edit_lines(&expand_home("~/.pgpass"), |l| !l.starts_with(&prefix), None)
}
