//! `xrestore NAME DESTPATH [RESTARTPOINT]`: PostgreSQL's restore_command on the slave. A missing
//! file is "not found" (exit 1) at once: a standby (standby.signal) then asks again after
//! wal_retrieve_retry_interval, which restore sets to `restore_poll`; archive recovery ends there.
//! walmgr3 waited inside restore_command instead, but PostgreSQL 15 reads WAL ahead of replay,
//! and a restore_command blocking on the next segment keeps the records already read from being
//! applied (a fresh standby then never even reaches consistency). Once `boot` has left a STOP
//! file, the partially synced copy of a missing segment is handed over. PAUSE holds replay.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::config::WalConfig;
use super::purge::{self, STANDBY_FILE};
use super::store;
use super::walname::is_segment;
use super::xarchive::check_name;

pub const STOP_FILE: &str = "STOP";
pub const PAUSE_FILE: &str = "PAUSE";

/// How xrestore ended: a restored file or PostgreSQL's "not found".
#[derive(Debug, PartialEq)]
pub enum Restored {
    Yes,
    NotFound,
}

/// The data directory being recovered: PostgreSQL runs restore_command in it (a standby
/// restored into another directory than slave_data, too); run by hand elsewhere, slave_data.
pub fn recovering_datadir(wc: &WalConfig) -> PathBuf {
    match std::env::current_dir() {
        Ok(here) if here.join("PG_VERSION").is_file() => here,
        _ => wc.slave().slave_data.clone(),
    }
}

pub fn xrestore(wc: &WalConfig, name: &str, dest: &str, restart_point: Option<&str>) -> Result<Restored> {
    check_name(name)?;
    let s = wc.slave();
    let completed = wc.storage.completed_wals.require_local("xrestore")?;
    let partial = wc.storage.partial_wals.local();
    let data = recovering_datadir(wc);
    // %p is relative to the data directory.
    let dest = data.join(dest);
    let standby = data.join("standby.signal").exists();
    let parent = nix::unistd::getppid();
    let poll = Duration::from_secs_f64(s.restore_poll);
    loop {
        let paused = completed.join(PAUSE_FILE).exists();
        if paused && standby {
            log::debug!("replay paused");
            return Ok(Restored::NotFound);
        } else if paused {
            // Not found would end archive recovery: wait here instead.
            if nix::unistd::getppid() != parent {
                bail!("PostgreSQL's startup process went away, giving up on {name}");
            }
            std::thread::sleep(poll);
            continue;
        }
        if completed.join(name).exists() {
            store::fetch(completed, name, &dest)?;
            log::info!("{name} restored");
            record(wc, completed, name, restart_point);
            return Ok(Restored::Yes);
        }
        if is_segment(name) && completed.join(STOP_FILE).exists() {
            return from_partial(partial, name, &dest);
        }
        log::debug!("{name} not in archive");
        return Ok(Restored::NotFound);
    }
}

/// At boot: the last, partially shipped segment, if sync delivered one.
fn from_partial(partial: Option<&Path>, name: &str, dest: &Path) -> Result<Restored> {
    let Some(src) = partial.map(|d| d.join(name)).filter(|p| p.exists()) else {
        log::info!("{name} not found, recovery stops here");
        return Ok(Restored::NotFound);
    };
    std::fs::copy(&src, dest).with_context(|| format!("copying {}", src.display()))?;
    log::info!("{name} restored from the partially synced copy");
    Ok(Restored::Yes)
}

/// Remembers how far the standby got (for status and cleanup) and, when no backup sets are
/// kept, removes what it no longer needs.
fn record(wc: &WalConfig, completed: &Path, name: &str, restart_point: Option<&str>) {
    let rp = restart_point.unwrap_or("-");
    let tmp = completed.join(format!(".{STANDBY_FILE}.tmp"));
    let written = std::fs::write(&tmp, format!("{name} {rp}\n"))
        .and_then(|()| std::fs::rename(&tmp, completed.join(STANDBY_FILE)));
    if let Err(e) = written {
        log::warn!("cannot record restore progress in {}: {e}", completed.display());
    }
    if let Some(partial) = wc.storage.partial_wals.local().filter(|p| p.is_dir()) {
        if let Err(e) = purge::prune_partials(partial, completed) {
            log::warn!("removing finished partial segments: {e:#}");
        }
    }
    if wc.slave().keep_backups > 0 {
        return;
    }
    let Some(full_backup) = wc.storage.full_backup.local() else { return };
    if let Some(limit) = purge::oldest_needed(completed, full_backup, true) {
        if let Err(e) = purge::purge(completed, wc.storage.partial_wals.local(), &limit, false) {
            log::warn!("archive cleanup: {e:#}");
        }
    }
}
