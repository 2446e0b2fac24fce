//! Master `backup`: a non-exclusive base backup into the slave's `full_backup`. One session holds
//! the backup open (pg_backup_start .. pg_backup_stop) while the data directory is copied; the
//! backup_label the server returns is written into the copy. A local copy goes to a temporary
//! directory first, so a failed backup never destroys the previous set.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use postgres::Client;

use super::backups::{self, Lock};
use super::commands::purge_wals;
use super::config::WalConfig;
use super::datacopy::{copy_datadir, copy_tablespaces, rsync_excludes, tablespaces, Purpose, TABLESPACE_DIR};
use super::transfer::{remote_walmgr_argv, rsync_argv, run_argv, Location};
use crate::script::db;

pub fn master_backup(wc: &WalConfig, dry_run: bool) -> Result<()> {
    let m = wc.master();
    if dry_run {
        log::info!("would back up {} to {}", m.master_data.display(), wc.storage.full_backup);
        return Ok(());
    }
    lock(wc)?;
    let result = take(wc);
    if let Err(e) = unlock(wc) {
        log::warn!("releasing the backup lock: {e:#}");
    }
    match &result {
        Ok(()) => log::info!("Full backup successful"),
        Err(_) => log::error!("Full backup failed."),
    }
    result
}

fn lock(wc: &WalConfig) -> Result<()> {
    let pid = std::process::id() as i32;
    match &wc.storage.completed_wals {
        Location::Local(dir) => match backups::lock(dir, pid)? {
            Lock::Taken => Ok(()),
            Lock::HeldBy(h) => bail!("Backup lock already taken (pid {h})"),
        },
        Location::Remote { host, .. } => run_argv(&remote_walmgr_argv(wc, host, &["xlock".into(), pid.to_string()])?)
            .context("Backup lock already taken or not reachable"),
    }
}

fn unlock(wc: &WalConfig) -> Result<()> {
    match &wc.storage.completed_wals {
        Location::Local(dir) => backups::release(dir),
        Location::Remote { host, .. } => run_argv(&remote_walmgr_argv(wc, host, &["xrelease".into()])?),
    }
}

/// The label files pg_backup_stop returns.
struct StopFiles {
    label: String,
    tablespace_map: String,
}

fn start_backup(c: &mut Client) -> Result<bool> {
    let ver: i32 = c.query_one("select current_setting('server_version_num')::int", &[])?.get(0);
    let label = format!("walmgr {}", chrono::Local::now().format("%Y-%m-%d %H:%M:%S"));
    let new_api = ver >= 150000;
    let sql = if new_api {
        "select pg_backup_start($1, true)::text"
    } else {
        "select pg_start_backup($1, true, false)::text"
    };
    c.query_one(sql, &[&label]).context("starting the backup")?;
    log::info!("backup started: {label}");
    Ok(new_api)
}

fn stop_backup(c: &mut Client, new_api: bool) -> Result<StopFiles> {
    // Waits until the last WAL segment the backup needs is archived.
    let sql = if new_api {
        "select labelfile, spcmapfile from pg_backup_stop(true)"
    } else {
        "select labelfile, spcmapfile from pg_stop_backup(false, true)"
    };
    let row = c.query_one(sql, &[]).context("stopping the backup")?;
    Ok(StopFiles { label: row.get(0), tablespace_map: row.get::<_, Option<String>>(1).unwrap_or_default() })
}

fn take(wc: &WalConfig) -> Result<()> {
    let m = wc.master();
    let mut c = db::connect_str(&m.master_db, "walmgr backup")?;
    let new_api = start_backup(&mut c)?;
    match (&wc.storage.full_backup, wc.storage.use_rsync) {
        (Location::Local(full_backup), false) => {
            let tmp = PathBuf::from(format!("{}.new", full_backup.display()));
            if tmp.exists() {
                std::fs::remove_dir_all(&tmp).with_context(|| format!("removing leftover {}", tmp.display()))?;
            }
            let purpose = Purpose::Backup { keep_links: m.keep_symlinks };
            let files = copy_datadir(&m.master_data, &tmp, purpose)? + copy_tablespaces(&m.master_data, &tmp)?;
            let stop = stop_backup(&mut c, new_api)?;
            write_labels(&tmp, &stop)?;
            nix::unistd::sync();
            log::info!("copied {files} files");
            let slave = wc.local_slave()?;
            let (keep, cmd) =
                slave.as_ref().map_or((0, None), |s| (s.slave().keep_backups, s.slave().archive_command.clone()));
            backups::rotate(full_backup, keep, cmd.as_deref(), false)?;
            std::fs::rename(&tmp, full_backup).with_context(|| format!("renaming {} into place", tmp.display()))?;
            copy_configs(wc)?;
            purge_wals(slave.as_ref().unwrap_or(wc), false)
        }
        (full_backup, _) => {
            slave_step(wc, "xrotate")?;
            let mut extra = vec!["--delete".to_string()];
            extra.extend(rsync_excludes(&m.master_data, m.keep_symlinks));
            let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
            let src = format!("{}/", m.master_data.display());
            let st = &wc.storage;
            run_argv(&rsync_argv(&st.ssh_options, st.compression, &extra, &[src], &full_backup.rsync_path("")))?;
            // Each tablespace into tblspc/<oid> of the set, where restore points tablespace_map.
            for (oid, dir) in tablespaces(&m.master_data)? {
                let to = full_backup.rsync_path(&format!("{TABLESPACE_DIR}/{oid}/"));
                let opts = ["--delete", "--mkpath", "--exclude=pgsql_tmp*"];
                run_argv(&rsync_argv(&st.ssh_options, st.compression, &opts, &[format!("{}/", dir.display())], &to))?;
            }
            let stop = stop_backup(&mut c, new_api)?;
            let dir = std::env::temp_dir().join(format!("walmgr-label-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            write_labels(&dir, &stop)?;
            let sources: Vec<String> =
                std::fs::read_dir(&dir)?.flatten().map(|e| e.path().to_string_lossy().into_owned()).collect();
            let sent = run_argv(&rsync_argv(
                &wc.storage.ssh_options,
                wc.storage.compression,
                &[],
                &sources,
                &full_backup.rsync_path(""),
            ));
            let _ = std::fs::remove_dir_all(&dir);
            sent?;
            copy_configs(wc)?;
            slave_step(wc, "xpurgewals")
        }
    }
}

/// A slave-side step of an rsync backup: over ssh to a remote archive, in-process for a local
/// one (`transfer = rsync`), with the slave's own settings when its config is on this host.
fn slave_step(wc: &WalConfig, cmd: &str) -> Result<()> {
    match &wc.storage.full_backup {
        Location::Remote { host, .. } => run_argv(&remote_walmgr_argv(wc, host, &[cmd.into()])?),
        Location::Local(full_backup) => {
            let slave = wc.local_slave()?;
            if cmd == "xrotate" {
                let (keep, archive_command) =
                    slave.as_ref().map_or((0, None), |s| (s.slave().keep_backups, s.slave().archive_command.clone()));
                backups::rotate(full_backup, keep, archive_command.as_deref(), false)
            } else {
                purge_wals(slave.as_ref().unwrap_or(wc), false)
            }
        }
    }
}

fn write_labels(dir: &Path, stop: &StopFiles) -> Result<()> {
    std::fs::write(dir.join("backup_label"), &stop.label).context("writing backup_label")?;
    if !stop.tablespace_map.is_empty() {
        std::fs::write(dir.join("tablespace_map"), &stop.tablespace_map).context("writing tablespace_map")?;
    }
    Ok(())
}

/// `*.conf` next to master_config (postgresql.conf, pg_hba.conf, ...) into config_backup.
fn copy_configs(wc: &WalConfig) -> Result<()> {
    let Some(dest) = &wc.storage.config_backup else { return Ok(()) };
    let dir = wc.master().master_config.parent().unwrap_or(Path::new("."));
    let confs: Vec<String> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "conf") && p.is_file())
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    match dest {
        Location::Local(d) => {
            std::fs::create_dir_all(d)?;
            for c in &confs {
                let name = Path::new(c).file_name().expect("file");
                std::fs::copy(c, d.join(name)).with_context(|| format!("copying {c}"))?;
            }
            Ok(())
        }
        Location::Remote { .. } => {
            run_argv(&rsync_argv(&wc.storage.ssh_options, wc.storage.compression, &[], &confs, &dest.rsync_path("")))
        }
    }
}
