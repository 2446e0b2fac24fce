//! `xrestore NAME DESTPATH [RESTARTPOINT]`: PostgreSQL's restore_command on the slave. While the
//! data directory is a standby (standby.signal) it waits for the next file; in archive recovery,
//! or once `boot` has left a STOP file, a missing file is "not found" (exit 1), after handing over
//! the partially synced copy of that segment if there is one. PAUSE holds replay.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::config::WalConfig;
use super::purge::{self, STANDBY_FILE};
use super::store;
use super::walname::{is_history, is_segment};
use super::xarchive::check_name;

pub const STOP_FILE: &str = "STOP";
pub const PAUSE_FILE: &str = "PAUSE";

/// How xrestore ended: a restored file or PostgreSQL's "not found".
#[derive(Debug, PartialEq)]
pub enum Restored {
    Yes,
    NotFound,
}

pub fn xrestore(wc: &WalConfig, name: &str, dest: &str, restart_point: Option<&str>) -> Result<Restored> {
    check_name(name)?;
    let s = wc.slave();
    let completed = wc.storage.completed_wals.require_local("xrestore")?;
    let partial = wc.storage.partial_wals.local();
    // PostgreSQL runs restore_command in the data directory; %p is relative to it.
    let dest = s.slave_data.join(dest);
    let parent = nix::unistd::getppid();
    let poll = Duration::from_secs_f64(s.restore_poll);
    loop {
        if completed.join(PAUSE_FILE).exists() {
            log::debug!("replay paused, waiting");
        } else if completed.join(name).exists() {
            store::fetch(completed, name, &dest)?;
            log::info!("{name} restored");
            record(wc, completed, name, restart_point);
            return Ok(Restored::Yes);
        } else if is_history(name) || !is_segment(name) {
            // Timeline history and backup history files either exist or do not; waiting for
            // them would stall recovery (PostgreSQL asks for histories of timelines to come).
            return Ok(Restored::NotFound);
        } else if completed.join(STOP_FILE).exists() {
            return from_partial(partial, name, &dest);
        } else if !s.slave_data.join("standby.signal").exists() || s.primary_conninfo.is_some() {
            // Archive recovery ends at the first missing file; a streaming standby asks its
            // primary instead of waiting here.
            log::debug!("{name} not in archive");
            return Ok(Restored::NotFound);
        }
        if nix::unistd::getppid() != parent {
            bail!("PostgreSQL's startup process went away, giving up on {name}");
        }
        std::thread::sleep(poll);
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
