//! Backup sets in the slave's storage: `data.master` (newest), `data.master.0`, `.1`, ... each a
//! directory with a `backup_label`; their labels, rotation under `keep_backups`, and the
//! `BACKUPLOCK` file that keeps two backups from running at once.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use nix::errno::Errno;
use nix::sys::signal::kill;
use nix::unistd::Pid;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Label {
    /// `START WAL LOCATION: 0/2000028 (file 000000010000000000000002)`: the first WAL file.
    pub first_wal: String,
    pub label: String,
    pub start_time: String,
}

impl Label {
    /// Reads the lines walmgr needs; newer servers add lines (BACKUP METHOD, START TIMELINE,
    /// incremental info) that are ignored.
    pub fn parse(text: &str) -> Label {
        let mut l = Label::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once(':') else { continue };
            let value = value.trim();
            match key.trim() {
                "START WAL LOCATION" => {
                    if let Some(f) = value.split("(file ").nth(1) {
                        l.first_wal = f.trim_end_matches(')').trim().to_string();
                    }
                }
                "LABEL" => l.label = value.to_string(),
                "START TIME" => l.start_time = value.to_string(),
                _ => {}
            }
        }
        l
    }
}

#[derive(Debug, Clone)]
pub struct BackupSet {
    pub path: PathBuf,
    pub name: String,
    pub label: Label,
}

/// What a set made from a stopped standby has instead of a backup_label (same line format).
pub const INFO_FILE: &str = "walmgr_backup_info";

/// Reads a set's label, or None when the directory is not a complete backup.
fn read_set(path: &Path) -> Option<BackupSet> {
    let text =
        ["backup_label", INFO_FILE, "backup_label.old"].iter().find_map(|f| fs::read_to_string(path.join(f)).ok())?;
    Some(BackupSet {
        path: path.to_path_buf(),
        name: path.file_name()?.to_string_lossy().into_owned(),
        label: Label::parse(&text),
    })
}

/// The numbered siblings of `full_backup` (`.0`, `.1`, ...) in order, oldest last.
fn numbered(full_backup: &Path) -> Vec<(u32, PathBuf)> {
    let (Some(dir), Some(base)) = (full_backup.parent(), full_backup.file_name()) else { return Vec::new() };
    let prefix = format!("{}.", base.to_string_lossy());
    let mut v: Vec<(u32, PathBuf)> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let n = name.strip_prefix(&prefix)?.parse().ok()?;
            Some((n, e.path()))
        })
        .collect();
    v.sort();
    v
}

/// All complete backup sets, newest first.
pub fn list_sets(full_backup: &Path) -> Vec<BackupSet> {
    std::iter::once(full_backup.to_path_buf())
        .chain(numbered(full_backup).into_iter().map(|(_, p)| p))
        .filter_map(|p| read_set(&p))
        .collect()
}

/// Makes room for a new `data.master`: with `keep_backups` > 0 the oldest sets beyond
/// keep-1 are removed (after `archive_command`, whose failure stops the rotation) and the rest
/// shift by one; with 0 the current set is simply removed.
pub fn rotate(full_backup: &Path, keep_backups: u32, archive_command: Option<&str>, dry_run: bool) -> Result<()> {
    if keep_backups == 0 {
        if full_backup.exists() {
            log::info!("removing previous backup {}", full_backup.display());
            if !dry_run {
                fs::remove_dir_all(full_backup).with_context(|| format!("removing {}", full_backup.display()))?;
            }
        }
        return Ok(());
    }
    let mut sets: Vec<PathBuf> = std::iter::once(full_backup.to_path_buf())
        .filter(|p| p.exists())
        .chain(numbered(full_backup).into_iter().map(|(_, p)| p))
        .collect();
    while sets.len() >= keep_backups as usize {
        let oldest = sets.pop().expect("non-empty");
        if let Some(cmd) = archive_command {
            let cmd = cmd.replace("$BACKUPDIR", &oldest.to_string_lossy());
            log::info!("running archive_command for {}: {cmd}", oldest.display());
            if !dry_run {
                let st = Command::new("sh").arg("-c").arg(&cmd).status().context("starting sh")?;
                if !st.success() {
                    bail!("archive_command '{cmd}' failed ({st}), keeping {}", oldest.display());
                }
            }
        }
        log::info!("removing old backup {}", oldest.display());
        if !dry_run {
            fs::remove_dir_all(&oldest).with_context(|| format!("removing {}", oldest.display()))?;
        }
    }
    // Oldest first, so no rename lands on a name still in use.
    for (i, p) in sets.iter().enumerate().rev() {
        let to = PathBuf::from(format!("{}.{i}", full_backup.display()));
        if *p != to && !dry_run {
            fs::rename(p, &to).with_context(|| format!("renaming {} to {}", p.display(), to.display()))?;
        }
    }
    Ok(())
}

pub const LOCK_FILE: &str = "BACKUPLOCK";

/// What `xlock` found.
#[derive(Debug, PartialEq)]
pub enum Lock {
    Taken,
    HeldBy(i32),
}

/// Takes the backup lock for `pid`; a lock whose holder is gone is taken over.
pub fn lock(completed_wals: &Path, pid: i32) -> Result<Lock> {
    let path = completed_wals.join(LOCK_FILE);
    for _ in 0..2 {
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut f) => {
                f.write_all(format!("{pid}\n").as_bytes()).with_context(|| format!("writing {}", path.display()))?;
                return Ok(Lock::Taken);
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                let holder: Option<i32> = fs::read_to_string(&path).ok().and_then(|t| t.trim().parse().ok());
                match holder {
                    // EPERM: alive, only owned by another user.
                    Some(h) if h > 0 && matches!(kill(Pid::from_raw(h), None), Ok(()) | Err(Errno::EPERM)) => {
                        return Ok(Lock::HeldBy(h))
                    }
                    _ => {
                        log::warn!("removing stale backup lock {}", path.display());
                        release(completed_wals)?;
                    }
                }
            }
            Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
        }
    }
    bail!("cannot take backup lock {}", path.display())
}

pub fn release(completed_wals: &Path) -> Result<()> {
    let path = completed_wals.join(LOCK_FILE);
    match fs::remove_file(&path) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(e).with_context(|| format!("removing {}", path.display())),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_modern_backup_labels() {
        let l = Label::parse(
            "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\nCHECKPOINT LOCATION: 0/2000060\n\
             BACKUP METHOD: streamed\nBACKUP FROM: primary\nSTART TIME: 2026-11-26 15:00:00 UTC\n\
             LABEL: walmgr 1\nSTART TIMELINE: 1\n",
        );
        assert_eq!(l.first_wal, "000000010000000000000002");
        assert_eq!(l.label, "walmgr 1");
        assert_eq!(l.start_time, "2026-11-26 15:00:00 UTC");
    }

    #[test]
    fn rotation_keeps_keep_minus_one_old_sets() {
        let d = std::env::temp_dir().join(format!("walmgr-rotate-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        let fb = d.join("data.master");
        let make = |p: &Path, tag: &str| {
            fs::create_dir_all(p).unwrap();
            fs::write(p.join("backup_label"), format!("LABEL: {tag}\n")).unwrap();
        };
        make(&fb, "c");
        make(&d.join("data.master.0"), "b");
        make(&d.join("data.master.1"), "a");
        rotate(&fb, 3, None, false).unwrap();
        let labels: Vec<String> = list_sets(&fb).into_iter().map(|s| s.label.label).collect();
        assert_eq!(labels, ["c", "b"]);
        assert!(!fb.exists() && d.join("data.master.1").exists());
        fs::remove_dir_all(&d).unwrap();
    }
}
