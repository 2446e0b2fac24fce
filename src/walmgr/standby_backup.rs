//! Slave `backup`: a backup set made from the standby, without touching the master. The standby
//! is stopped for the copy (a clean stop writes a restartpoint, so the copy is a consistent cold
//! copy whose pg_control says where replay must resume), then started again. The set carries
//! `walmgr_backup_info` instead of a backup_label: PostgreSQL must not treat a cold copy as an
//! online backup, and restoring it is ordinary standby recovery from its last restartpoint.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use super::backups::{self, Lock, INFO_FILE};
use super::commands::purge_wals;
use super::config::WalConfig;
use super::datacopy::{copy_datadir, copy_tablespaces, tablespaces, Purpose};
use super::restore::{running_pid, shell};

pub fn slave_backup(wc: &WalConfig, dry_run: bool) -> Result<()> {
    let s = wc.slave();
    let completed = wc.storage.completed_wals.require_local("backup")?;
    if !s.slave_data.join("standby.signal").exists() {
        bail!("{} is not a standby (no standby.signal); back up the master instead", s.slave_data.display());
    }
    if dry_run {
        log::info!("would stop the standby, copy {} to {}", s.slave_data.display(), wc.storage.full_backup);
        return Ok(());
    }
    if let Lock::HeldBy(h) = backups::lock(completed, std::process::id() as i32)? {
        bail!("Backup lock already taken (pid {h})");
    }
    let result = copy_standby(wc);
    if let Err(e) = backups::release(completed) {
        log::warn!("releasing the backup lock: {e:#}");
    }
    match &result {
        Ok(()) => log::info!("Backup of the standby successful"),
        Err(_) => log::error!("Backup of the standby failed."),
    }
    result
}

fn copy_standby(wc: &WalConfig) -> Result<()> {
    let s = wc.slave();
    let full_backup = wc.storage.full_backup.require_local("backup")?;
    let running = running_pid(&s.slave_data).is_some();
    if running {
        log::info!("stopping the standby for the copy");
        shell(&s.stop_cmd(), "slave_stop_cmd")?;
    }
    let tmp = PathBuf::from(format!("{}.new", full_backup.display()));
    let copied = (|| -> Result<()> {
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).with_context(|| format!("removing leftover {}", tmp.display()))?;
        }
        let (redo, redo_file, checkpoint) = control_data(&s.bin(), &s.slave_data)?;
        // The standby's own pg_wal link (slave_pg_xlog) is its business, not the set's.
        let files = copy_datadir(&s.slave_data, &tmp, Purpose::Backup { keep_links: false })?
            + copy_tablespaces(&s.slave_data, &tmp)?;
        // A cold copy has no backup_label, so PostgreSQL would ignore a tablespace_map: this
        // one only tells restore which links to make (to tblspc/<oid> in the set).
        let map: String = tablespaces(&s.slave_data)?.iter().map(|(oid, _)| format!("{oid} -\n")).collect();
        if !map.is_empty() {
            std::fs::write(tmp.join("tablespace_map"), map).context("writing tablespace_map")?;
        }
        let info = format!(
            "START WAL LOCATION: {redo} (file {redo_file})\nCHECKPOINT LOCATION: {checkpoint}\n\
             BACKUP FROM: standby (stopped copy)\nSTART TIME: {}\nLABEL: walmgr standby copy\n",
            chrono::Local::now().format("%Y-%m-%d %H:%M:%S %Z")
        );
        std::fs::write(tmp.join(INFO_FILE), info).context("writing the backup info")?;
        nix::unistd::sync();
        log::info!("copied {files} files, replay resumes at {redo} ({redo_file})");
        Ok(())
    })();
    if running {
        log::info!("starting the standby again");
        shell(&s.start_cmd(), "slave_start_cmd")?;
    }
    copied?;
    backups::rotate(full_backup, s.keep_backups, s.archive_command.as_deref(), false)?;
    std::fs::rename(&tmp, full_backup).with_context(|| format!("renaming {} into place", tmp.display()))?;
    purge_wals(wc, false)
}

/// `(REDO location, REDO WAL file, checkpoint location)` of a stopped cluster.
fn control_data(bin: &Path, data: &Path) -> Result<(String, String, String)> {
    let exe = bin.join("pg_controldata");
    let out = Command::new(&exe).arg("-D").arg(data).output().with_context(|| format!("running {}", exe.display()))?;
    if !out.status.success() {
        bail!("pg_controldata failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
            .with_context(|| format!("pg_controldata shows no '{name}'"))
    };
    let state = field("Database cluster state:")?;
    if state != "shut down in recovery" && state != "shut down" {
        bail!("the standby did not stop cleanly (state: {state}); not copying it");
    }
    Ok((
        field("Latest checkpoint's REDO location:")?,
        field("Latest checkpoint's REDO WAL file:")?,
        field("Latest checkpoint location:")?,
    ))
}
