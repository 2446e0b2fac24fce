//! Archive cleanup (`xpurgewals`, and xrestore when no backups are kept): removes WAL that no
//! backup set and no standby needs any more. The oldest file still needed is the smallest of
//! the oldest backup's first WAL and the standby's last restart point; with neither known,
//! nothing is removed.

use std::fs;
use std::path::Path;

use anyhow::Result;

use super::backups::list_sets;
use super::store;
use super::walname::{older_than, segment_of};

/// xrestore's record of the standby: `<last restored file> <restart point>`.
pub const STANDBY_FILE: &str = "LAST_RESTORED";

/// The standby's restart point, if a standby has been restoring from this archive.
pub fn standby_restart_point(completed_wals: &Path) -> Option<String> {
    let text = fs::read_to_string(completed_wals.join(STANDBY_FILE)).ok()?;
    text.split_whitespace().nth(1).filter(|r| segment_of(r).is_some()).map(String::from)
}

/// The oldest WAL file anything still needs.
pub fn oldest_needed(completed_wals: &Path, full_backup: &Path, standby_active: bool) -> Option<String> {
    let backups = list_sets(full_backup).into_iter().map(|s| s.label.first_wal).filter(|w| segment_of(w).is_some());
    let standby = if standby_active { standby_restart_point(completed_wals) } else { None };
    backups.chain(standby).reduce(|a, b| if older_than(&b, &a) { b } else { a })
}

/// Removes partial copies of segments the archive now holds complete; sync (master) and xrestore
/// (slave) call it so partial_wals never grows beyond the segments still being written.
pub fn prune_partials(partial_wals: &Path, completed_wals: &Path) -> Result<usize> {
    let mut removed = 0;
    for entry in fs::read_dir(partial_wals)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if segment_of(&name).is_some() && completed_wals.join(&name).exists() {
            fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Removes archived files before `limit` from `completed_wals` and stale partial files from
/// `partial_wals`; returns how many files went.
pub fn purge(completed_wals: &Path, partial_wals: Option<&Path>, limit: &str, dry_run: bool) -> Result<usize> {
    let mut removed = 0;
    for entry in fs::read_dir(completed_wals)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if older_than(&name, limit) {
            log::debug!("removing {name}");
            if !dry_run {
                store::remove(completed_wals, &name)?;
            }
            removed += 1;
        }
    }
    if let Some(dir) = partial_wals.filter(|d| d.is_dir()) {
        for entry in fs::read_dir(dir)?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if segment_of(&name).is_some() && (older_than(&name, limit) || completed_wals.join(&name).exists()) {
                log::debug!("removing partial {name}");
                if !dry_run {
                    fs::remove_file(entry.path())?;
                }
                removed += 1;
            }
        }
    }
    if removed > 0 {
        log::info!("removed {removed} WAL files older than {limit}");
    }
    Ok(removed)
}
