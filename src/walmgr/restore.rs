//! Slave `restore [SET [DATADIR]]` and `boot`. Restore stops the standby, keeps the old data
//! directory as `<data>.N` (or removes it), puts a backup set in its place, brings back the
//! config files saved in config_backup, points restore_command at xrestore in
//! postgresql.auto.conf, creates standby.signal and starts it.
//! Boot leaves a STOP file (xrestore then hands over the partial segment and stops waiting) and
//! promotes the server.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use nix::sys::signal::kill;
use nix::unistd::Pid;

use super::backups::INFO_FILE;
use super::config::{absolute, WalConfig};
use super::datacopy::{copy_datadir, Purpose, LINKED_DIRS, TABLESPACE_DIR};
use super::pgconf::set_param;
use super::transfer::{self_command, shell_quote};
use super::xrestore::STOP_FILE;

/// Config files the standby keeps from its previous data directory: its own port, access
/// rules and user maps, not the master's.
const OWN_CONFIGS: &[&str] = &["postgresql.conf", "pg_hba.conf", "pg_ident.conf"];

pub fn restore(wc: &WalConfig, set: Option<&str>, datadir: Option<&str>, dry_run: bool) -> Result<()> {
    let s = wc.slave();
    let full_backup = wc.storage.full_backup.require_local("restore")?;
    let source = match set {
        Some(name) if name.contains('/') => PathBuf::from(name),
        Some(name) => full_backup.parent().unwrap_or(Path::new(".")).join(name),
        None => full_backup.to_path_buf(),
    };
    if !source.join("backup_label").is_file() && !source.join(INFO_FILE).is_file() {
        bail!("{} is not a backup set (no backup_label)", source.display());
    }
    let data = datadir.map(|d| absolute(Path::new(d))).unwrap_or_else(|| s.slave_data.clone());
    if dry_run {
        log::info!("would restore {} into {}", source.display(), data.display());
        return Ok(());
    }
    let old = clear_target(wc, &data)?;
    // The only set is consumed, as walmgr3 does, unless sets are kept or one was named.
    if set.is_none() && s.keep_backups == 0 {
        log::info!("moving {} to {}", source.display(), data.display());
        fs::rename(&source, &data).with_context(|| format!("moving {} to {}", source.display(), data.display()))?;
    } else {
        log::info!("copying {} to {}", source.display(), data.display());
        copy_datadir(&source, &data, Purpose::Restore)?;
    }
    start_standby(wc, &data, old.as_deref(), true)
}

/// Stops what runs in `data` and moves it aside (or removes it); returns where it went.
pub fn clear_target(wc: &WalConfig, data: &Path) -> Result<Option<PathBuf>> {
    stop_server(wc, data)?;
    set_aside(data, wc.slave().backup_datadir)
}

/// Turns a fresh copy in `data` into a standby of this archive and starts it: the standby's
/// own config files from its previous directory, then (`saved_configs`) those the master's
/// backup saved in config_backup, recovery settings, standby.signal.
pub fn start_standby(wc: &WalConfig, data: &Path, old: Option<&Path>, saved_configs: bool) -> Result<()> {
    let s = wc.slave();
    relocate_tablespaces(data)?;
    if let Some(wal) = &s.slave_pg_xlog {
        link_wal_dir(data, wal)?;
    }
    place_linked_dirs(data)?;
    fs::create_dir_all(data.join("pg_wal/archive_status"))?;
    fs::set_permissions(data, fs::Permissions::from_mode(0o700))?;
    if let Some(old) = old {
        for f in OWN_CONFIGS {
            if old.join(f).is_file() {
                fs::copy(old.join(f), data.join(f)).with_context(|| format!("carrying over {f}"))?;
            }
        }
    }
    if saved_configs {
        restore_configs(wc, data)?;
    }
    write_recovery_settings(wc, data)?;
    let completed = wc.storage.completed_wals.require_local("restore")?;
    let _ = fs::remove_file(completed.join(STOP_FILE));
    let _ = fs::remove_file(data.join("recovery.signal"));
    fs::write(data.join("standby.signal"), b"").context("creating standby.signal")?;
    if data != s.slave_data {
        log::info!("{} is ready as a standby; start it yourself (slave_start_cmd is for slave_data)", data.display());
        return Ok(());
    }
    let start = s.start_cmd();
    log::info!("starting the standby: {start}");
    shell(&start, "slave_start_cmd")
}

/// The `*.conf` files backup saved in config_backup, into slave_config_dir (default: the data
/// directory), with archive_command made harmless in postgresql.conf: this server must not
/// archive into the master's archive once booted. postgresql.auto.conf is left out: it belongs
/// to the data directory, which already has the master's copy.
fn restore_configs(wc: &WalConfig, data: &Path) -> Result<()> {
    let Some(saved) = wc.storage.config_backup.as_ref().and_then(|l| l.local()) else { return Ok(()) };
    let Ok(entries) = fs::read_dir(saved) else {
        log::info!("no saved config files in {}", saved.display());
        return Ok(());
    };
    let dest = wc.slave().slave_config_dir.clone().unwrap_or_else(|| data.to_path_buf());
    fs::create_dir_all(&dest).with_context(|| format!("creating {}", dest.display()))?;
    let mut names = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".conf") || name == "postgresql.auto.conf" || !entry.path().is_file() {
            continue;
        }
        let to = dest.join(&name);
        fs::copy(entry.path(), &to)
            .with_context(|| format!("copying {} to {}", entry.path().display(), to.display()))?;
        if name == "postgresql.conf" {
            let text = fs::read_to_string(&to).with_context(|| format!("reading {}", to.display()))?;
            fs::write(&to, set_param(&text, "archive_command", "/bin/true"))
                .with_context(|| format!("writing {}", to.display()))?;
        }
        names.push(name);
    }
    names.sort();
    log::info!("config files from {} restored into {}: {}", saved.display(), dest.display(), names.join(", "));
    Ok(())
}

/// A set's tablespaces travel inside it (`tblspc/<oid>`); tablespace_map, which recovery uses
/// to link them, still names the master's directories and is pointed at these copies instead.
pub fn relocate_tablespaces(data: &Path) -> Result<()> {
    let map = data.join("tablespace_map");
    let Ok(text) = fs::read_to_string(&map) else { return Ok(()) };
    let mut out = String::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let oid = line.split(' ').next().unwrap_or_default();
        let copy = data.join(TABLESPACE_DIR).join(oid);
        if !copy.is_dir() {
            bail!("tablespace {oid} is not in the backup set ({} missing)", copy.display());
        }
        out.push_str(&format!("{oid} {}\n", copy.display()));
    }
    fs::write(&map, out).with_context(|| format!("writing {}", map.display()))?;
    if !data.join("backup_label").exists() {
        // A cold copy (a backup of the standby): PostgreSQL reads tablespace_map only with a
        // backup_label, so the links are made here.
        for line in fs::read_to_string(&map)?.lines() {
            let oid = line.split(' ').next().unwrap_or_default();
            let link = data.join("pg_tblspc").join(oid);
            let _ = fs::remove_file(&link);
            std::os::unix::fs::symlink(data.join(TABLESPACE_DIR).join(oid), &link)
                .with_context(|| format!("linking {}", link.display()))?;
        }
        fs::remove_file(&map).with_context(|| format!("removing {}", map.display()))?;
    }
    log::info!("tablespaces placed under {}", data.join(TABLESPACE_DIR).display());
    Ok(())
}

/// A set's kept links (keep_symlinks) point where the master had its pg_wal or log directory:
/// that path is created here. A pg_wal target that already holds anything but an empty
/// archive_status is never touched (another server's WAL, or WAL of another history, maybe not
/// archived yet): the copy gets a plain pg_wal directory instead, with a warning.
pub fn place_linked_dirs(data: &Path) -> Result<()> {
    for name in LINKED_DIRS {
        let link = data.join(name);
        if !link.is_symlink() {
            continue;
        }
        let target = data.join(fs::read_link(&link).with_context(|| format!("reading link {}", link.display()))?);
        let occupied = |dir: &Path| {
            fs::read_dir(dir).into_iter().flatten().flatten().any(|e| {
                e.file_name() != "archive_status" || fs::read_dir(e.path()).map_or(true, |mut d| d.next().is_some())
            })
        };
        if *name == "pg_wal" && occupied(&target) {
            log::warn!(
                "{} links to {}, which is not empty: left alone, {} is a plain directory here",
                link.display(),
                target.display(),
                name
            );
            fs::remove_file(&link).with_context(|| format!("removing {}", link.display()))?;
            fs::create_dir(&link).with_context(|| format!("creating {}", link.display()))?;
            fs::set_permissions(&link, fs::Permissions::from_mode(0o700))?;
            continue;
        }
        fs::create_dir_all(&target).with_context(|| format!("creating {}", target.display()))?;
        if *name == "pg_wal" {
            fs::set_permissions(&target, fs::Permissions::from_mode(0o700))?;
        }
        log::info!("{} links to {}", link.display(), target.display());
    }
    Ok(())
}

/// Points `data/pg_wal` at `wal`, emptied first: WAL left there by the previous standby may
/// belong to another history than the backup now restored.
fn link_wal_dir(data: &Path, wal: &Path) -> Result<()> {
    if wal.exists() {
        for entry in fs::read_dir(wal).with_context(|| format!("reading {}", wal.display()))?.flatten() {
            let p = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) { fs::remove_dir_all(&p) } else { fs::remove_file(&p) }
                .with_context(|| format!("emptying {}", p.display()))?;
        }
    }
    fs::create_dir_all(wal).with_context(|| format!("creating {}", wal.display()))?;
    fs::set_permissions(wal, fs::Permissions::from_mode(0o700))?;
    let link = data.join("pg_wal");
    match fs::symlink_metadata(&link) {
        Ok(md) if md.is_dir() => fs::remove_dir_all(&link)?,
        Ok(_) => fs::remove_file(&link)?,
        Err(_) => {}
    }
    std::os::unix::fs::symlink(wal, &link)
        .with_context(|| format!("linking {} to {}", link.display(), wal.display()))?;
    log::info!("pg_wal is {}", wal.display());
    Ok(())
}

fn write_recovery_settings(wc: &WalConfig, data: &Path) -> Result<()> {
    let config = shell_quote(&wc.config_path.to_string_lossy());
    let restore_command = self_command(&[&config, "xrestore", "%f", "\"%p\"", "%r"])?;
    let auto = data.join("postgresql.auto.conf");
    let mut text = fs::read_to_string(&auto).unwrap_or_default();
    text = set_param(&text, "restore_command", &restore_command);
    text = set_param(&text, "recovery_target_timeline", "latest");
    // The standby asks for the next segment this often (xrestore itself never waits).
    let poll_ms = (wc.slave().restore_poll * 1000.0).round().max(1.0);
    text = set_param(&text, "wal_retrieve_retry_interval", &format!("{poll_ms}ms"));
    // After boot this server is a new master; it must not archive into the archive it was
    // restored from under the old master's name until someone runs setup for it.
    text = set_param(&text, "archive_mode", "off");
    if let Some(ci) = &wc.slave().primary_conninfo {
        text = set_param(&text, "primary_conninfo", ci);
    }
    fs::write(&auto, text).with_context(|| format!("writing {}", auto.display()))
}

/// The postmaster pid of a data directory, if one is running.
pub fn running_pid(data: &Path) -> Option<i32> {
    let text = fs::read_to_string(data.join("postmaster.pid")).ok()?;
    let pid: i32 = text.lines().next()?.trim().parse().ok()?;
    kill(Pid::from_raw(pid), None).is_ok().then_some(pid)
}

fn stop_server(wc: &WalConfig, data: &Path) -> Result<()> {
    if running_pid(data).is_none() {
        return Ok(());
    }
    if data != wc.slave().slave_data {
        bail!("a server is running in {}; stop it first (slave_stop_cmd is for slave_data)", data.display());
    }
    let cmd = &wc.slave().stop_cmd();
    log::info!("stopping the standby: {cmd}");
    shell(cmd, "slave_stop_cmd")?;
    if running_pid(data).is_some() {
        bail!("Postmaster still running.  Cannot continue.");
    }
    Ok(())
}

/// Moves the old data directory to the first free `<data>.N`, or removes it.
pub fn set_aside(data: &Path, keep: bool) -> Result<Option<PathBuf>> {
    if !data.exists() {
        return Ok(None);
    }
    if !keep {
        log::info!("removing old data directory {}", data.display());
        fs::remove_dir_all(data).with_context(|| format!("removing {}", data.display()))?;
        return Ok(None);
    }
    let to = (0..)
        .map(|n| PathBuf::from(format!("{}.{n}", data.display())))
        .find(|p| !p.exists())
        .expect("some number is free");
    log::info!("keeping old data directory as {}", to.display());
    fs::rename(data, &to).with_context(|| format!("moving {} to {}", data.display(), to.display()))?;
    Ok(Some(to))
}

pub fn boot(wc: &WalConfig) -> Result<()> {
    let s = wc.slave();
    let completed = wc.storage.completed_wals.require_local("boot")?;
    fs::write(completed.join(STOP_FILE), b"").context("creating the STOP file")?;
    log::info!("STOP file created, recovery ends after the last available WAL");
    if running_pid(&s.slave_data).is_none() {
        log::info!("the standby is not running; it will finish recovery when started");
        return Ok(());
    }
    let pg_ctl = s.bin().join("pg_ctl");
    let out = Command::new(&pg_ctl)
        .arg("promote")
        .arg("-w")
        .arg("-D")
        .arg(&s.slave_data)
        .output()
        .with_context(|| format!("running {}", pg_ctl.display()))?;
    if !out.status.success() {
        bail!("pg_ctl promote failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    log::info!("standby promoted");
    Ok(())
}

pub fn shell(cmd: &str, what: &str) -> Result<()> {
    let st = Command::new("sh").arg("-c").arg(cmd).status().with_context(|| format!("running {what}"))?;
    if !st.success() {
        bail!("{what} failed ({st}): {cmd}");
    }
    Ok(())
}
