//! Master `setup` and `stop`: edit the archiving parameters in `master_config` (replace the active
//! line, else add after the commented one, else append), then reload the server, or restart it
//! with `master_restart_cmd` when a parameter needs a restart (archive_mode, wal_level).

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};
use nix::sys::signal::Signal;

use super::config::{MasterSettings, WalConfig};
use super::transfer::{self_command, shell_quote};
use crate::script::{daemon, db};

pub fn setup(wc: &WalConfig, dry_run: bool) -> Result<()> {
    let m = wc.master();
    let cmd = self_command(&[&shell_quote(&wc.config_path.to_string_lossy()), "xarchive", "%p", "%f"])?;
    let mut want = vec![("archive_mode", "on".to_string()), ("archive_command", cmd)];
    let live = live_settings(m);
    // wal_level replica is what archiving needs; logical is a superset and stays.
    let level = live.as_ref().map(|l| l.1.as_str()).unwrap_or("replica");
    if level != "logical" {
        want.push(("wal_level", "replica".into()));
    }
    write_params(m, &want, dry_run)?;
    let restart = match &live {
        Some((mode, level)) => mode == "off" || level == "minimal",
        None => false,
    };
    finish(m, restart, dry_run, "enable archiving")
}

pub fn stop(wc: &WalConfig, dry_run: bool) -> Result<()> {
    let m = wc.master();
    let live = live_settings(m);
    if m.master_restart_cmd.is_some() {
        write_params(m, &[("archive_mode", "off".into()), ("archive_command", String::new())], dry_run)?;
        finish(m, true, dry_run, "disable archiving")?;
    } else {
        // Without a restart archive_mode stays on: an archive_command that succeeds keeps
        // pg_wal from filling up, as walmgr3 did.
        write_params(m, &[("archive_mode", "off".into()), ("archive_command", "/bin/true".into())], dry_run)?;
        finish(m, live.is_some_and(|(mode, _)| mode != "off"), dry_run, "disable archiving")?;
    }
    if let Some(pidfile) = stop_pidfile(wc)? {
        if !dry_run {
            log::info!("syncdaemon: {}", daemon::signal_pidfile(&pidfile, Signal::SIGINT)?);
        }
    }
    Ok(())
}

fn stop_pidfile(wc: &WalConfig) -> Result<Option<std::path::PathBuf>> {
    let cfg = crate::script::config::Config::load(&wc.config_path, &["walmgr"], &[])?;
    cfg.get_path("pidfile")
}

/// `(archive_mode, wal_level)` of the running server, None when it cannot be reached.
fn live_settings(m: &MasterSettings) -> Option<(String, String)> {
    let mut c = match db::connect_str(&m.master_db, "walmgr") {
        Ok(c) => c,
        Err(e) => {
            log::warn!("server not reachable, only editing {}: {}", m.master_config.display(), db::anyhow_text(&e));
            return None;
        }
    };
    let row = c.query_one("select current_setting('archive_mode'), current_setting('wal_level')", &[]).ok()?;
    Some((row.get(0), row.get(1)))
}

pub fn write_params(m: &MasterSettings, params: &[(&str, String)], dry_run: bool) -> Result<()> {
    let path = &m.master_config;
    let mut text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    for (name, value) in params {
        text = set_param(&text, name, value);
        log::info!("{}: {name} = {}", path.display(), quote(value));
    }
    if !dry_run {
        write_atomic(path, &text)?;
    }
    clear_auto_conf(m, params, dry_run)
}

/// postgresql.auto.conf (ALTER SYSTEM, or restore's `archive_mode = 'off'` in a booted standby)
/// overrides master_config: the same parameters are removed there, as ALTER SYSTEM RESET would,
/// or what setup and stop write would silently not take effect.
fn clear_auto_conf(m: &MasterSettings, params: &[(&str, String)], dry_run: bool) -> Result<()> {
    let auto = m.master_data.join("postgresql.auto.conf");
    if auto == m.master_config {
        return Ok(());
    }
    let Ok(text) = std::fs::read_to_string(&auto) else { return Ok(()) };
    let names: Vec<&str> = params.iter().map(|(n, _)| *n).collect();
    let mut removed = Vec::new();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| match param_of(l) {
            Some(p) if names.contains(&p.as_str()) => {
                removed.push(l.trim().to_string());
                false
            }
            _ => true,
        })
        .collect();
    if removed.is_empty() {
        return Ok(());
    }
    log::warn!("{}: removing {} (it would override {})", auto.display(), removed.join(", "), m.master_config.display());
    if !dry_run {
        write_atomic(&auto, &(kept.join("\n") + "\n"))?;
    }
    Ok(())
}

/// The parameter an active `name = value` line sets, lower-cased.
fn param_of(line: &str) -> Option<String> {
    let t = line.trim_start();
    let key: String = t.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    (!key.is_empty() && t[key.len()..].trim_start().starts_with('=')).then(|| key.to_lowercase())
}

fn finish(m: &MasterSettings, needs_restart: bool, dry_run: bool, what: &str) -> Result<()> {
    if dry_run {
        return Ok(());
    }
    match (&m.master_restart_cmd, needs_restart) {
        (Some(cmd), true) => {
            log::info!("restarting PostgreSQL: {cmd}");
            let st = Command::new("sh").arg("-c").arg(cmd).status().context("starting sh")?;
            if !st.success() {
                bail!("master_restart_cmd failed ({st})");
            }
            Ok(())
        }
        (None, true) => {
            reload(m);
            log::warn!("database must be restarted to {what}");
            Ok(())
        }
        (_, false) => {
            reload(m);
            Ok(())
        }
    }
}

pub fn reload(m: &MasterSettings) {
    match db::connect_str(&m.master_db, "walmgr").and_then(|mut c| Ok(c.execute("select pg_reload_conf()", &[])?)) {
        Ok(_) => log::info!("configuration reloaded"),
        Err(e) => log::warn!("cannot reload the server configuration: {}", db::anyhow_text(&e)),
    }
}

fn quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

/// Sets `name = 'value'` in postgresql.conf text.
pub fn set_param(text: &str, name: &str, value: &str) -> String {
    let line = format!("{name} = {}", quote(value));
    let key_of = |l: &str| -> Option<(bool, String)> {
        let t = l.trim_start();
        let (commented, t) = match t.strip_prefix('#') {
            Some(rest) => (true, rest.trim_start()),
            None => (false, t),
        };
        let key: String = t.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let rest = t[key.len()..].trim_start();
        (!key.is_empty() && (rest.starts_with('=') || (!commented && rest.starts_with('\''))))
            .then(|| (commented, key.to_lowercase()))
    };
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    if let Some(i) = lines.iter().rposition(|l| key_of(l) == Some((false, name.to_string()))) {
        lines[i] = line;
    } else if let Some(i) = lines.iter().position(|l| key_of(l) == Some((true, name.to_string()))) {
        lines.insert(i + 1, line);
    } else {
        lines.push(line);
    }
    lines.join("\n") + "\n"
}

fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("conf.walmgr-tmp");
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    if let Ok(md) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&tmp, md.permissions());
    }
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::set_param;

    #[test]
    fn edits_like_a_person_would() {
        let conf = "#archive_mode = off\t\t# enables archiving\nwal_level = minimal # x\n";
        let out = set_param(conf, "archive_mode", "on");
        assert_eq!(out, "#archive_mode = off\t\t# enables archiving\narchive_mode = 'on'\nwal_level = minimal # x\n");
        let out = set_param(&out, "wal_level", "replica");
        assert!(out.contains("\nwal_level = 'replica'\n") && !out.contains("minimal"));
        let out = set_param(&out, "archive_command", "/x 'y' %p");
        assert!(out.ends_with("archive_command = '/x ''y'' %p'\n"));
    }
}
