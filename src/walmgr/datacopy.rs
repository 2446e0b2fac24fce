//! Copying a data directory for a base backup or a restore: the files a running server may have
//! open are copied as they are (WAL replay makes them consistent), and what a backup must not
//! carry is left out, as PostgreSQL's own base backup does: WAL, pid files, temporary and
//! runtime-only directories (created empty), recovery signal files and old backup labels. A
//! symlinked pg_wal or log directory stays a link to the same path (`keep_symlinks`) or becomes
//! a plain directory; restore creates the link's target on the slave.

use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Directories whose contents are never copied; the directory itself is created empty.
/// pg_tblspc's links are rebuilt by recovery from tablespace_map.
const EMPTY_DIRS: &[&str] = &[
    "pg_wal",
    "pg_replslot",
    "pg_dynshmem",
    "pg_notify",
    "pg_serial",
    "pg_snapshots",
    "pg_stat_tmp",
    "pg_subtrans",
    "pg_tblspc",
];

/// Top-level files never copied.
const SKIP_FILES: &[&str] = &[
    "postmaster.pid",
    "postmaster.opts",
    "backup_label",
    "backup_label.old",
    "tablespace_map",
    "backup_manifest",
    "current_logfiles",
    "standby.signal",
    "recovery.signal",
];

/// Top-level directories that are often links to another disk; with `keep_symlinks` the copy
/// keeps the link (the contents of pg_wal are never copied, those of a linked log directory
/// neither). `pg_log` is the name before PostgreSQL 10.
pub const LINKED_DIRS: &[&str] = &["pg_wal", "log", "pg_log"];

/// What a copy is for.
#[derive(Clone, Copy, PartialEq)]
pub enum Purpose {
    /// A backup of a data directory; `keep_links`: LINKED_DIRS that are symlinks stay links.
    Backup { keep_links: bool },
    /// A backup set into a data directory: labels and links as they are.
    Restore,
}

/// Where a backup set keeps the contents of the cluster's tablespaces: `tblspc/<oid>`.
pub const TABLESPACE_DIR: &str = "tblspc";

/// Copies every tablespace the data directory links to (`pg_tblspc/<oid>`) into
/// `dst/tblspc/<oid>`; the server's tablespace_map tells recovery where to link them again. One
/// inside the data directory (a restored standby's `tblspc/<oid>`) came with the directory.
pub fn copy_tablespaces(src: &Path, dst: &Path) -> Result<u64> {
    let mut count = 0;
    for (oid, target) in tablespaces(src)?.into_iter().filter(|(_, t)| !t.starts_with(src)) {
        let to = dst.join(TABLESPACE_DIR).join(oid);
        fs::create_dir_all(to.parent().expect("has a parent"))?;
        copy_dir(&target, &to, None, &mut count)?;
    }
    Ok(count)
}

/// The tablespaces of a data directory: `(oid, directory)` from the `pg_tblspc` links.
pub fn tablespaces(data: &Path) -> Result<Vec<(String, PathBuf)>> {
    let links = data.join("pg_tblspc");
    let mut v = Vec::new();
    for entry in fs::read_dir(&links).with_context(|| format!("reading {}", links.display()))?.flatten() {
        let target = fs::read_link(entry.path()).with_context(|| format!("reading link {}", entry.path().display()))?;
        v.push((entry.file_name().to_string_lossy().into_owned(), target));
    }
    Ok(v)
}

/// rsync spelling of the same rules, for backups of `src` to a remote host (rsync -a copies a
/// symlink as a symlink; a link not kept is left out and restore makes the plain directory).
pub fn rsync_excludes(src: &Path, keep_links: bool) -> Vec<String> {
    let mut v: Vec<String> = SKIP_FILES.iter().map(|f| format!("--exclude=/{f}")).collect();
    if !keep_links {
        v.extend(LINKED_DIRS.iter().filter(|d| src.join(d).is_symlink()).map(|d| format!("--exclude=/{d}")));
    }
    v.extend(EMPTY_DIRS.iter().map(|d| format!("--exclude=/{d}/*")));
    v.push("--exclude=pgsql_tmp*".into());
    v.push("--exclude=/.*".into());
    // The set's tablespace copies are sent separately; --delete must not remove them first.
    v.push(format!("--exclude=/{TABLESPACE_DIR}"));
    v
}

/// Copies `src` into the new directory `dst`; returns the number of files copied.
pub fn copy_datadir(src: &Path, dst: &Path, purpose: Purpose) -> Result<u64> {
    let mut count = 0;
    copy_dir(src, dst, Some(purpose), &mut count)?;
    // Through a kept link the target may not exist here: restore creates it.
    if !dst.join("pg_wal").is_symlink() {
        fs::create_dir_all(dst.join("pg_wal/archive_status")).context("creating pg_wal/archive_status")?;
    }
    Ok(count)
}

/// `level` is the purpose at the top of the data directory, None below it.
fn copy_dir(src: &Path, dst: &Path, level: Option<Purpose>, count: &mut u64) -> Result<()> {
    let top = level.is_some();
    fs::create_dir(dst).with_context(|| format!("creating {}", dst.display()))?;
    let mode = fs::metadata(src).with_context(|| format!("reading {}", src.display()))?.permissions().mode();
    fs::set_permissions(dst, fs::Permissions::from_mode(mode & 0o7777))?;
    for entry in fs::read_dir(src).with_context(|| format!("reading {}", src.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        let name_s = name.to_string_lossy();
        let label = matches!(name_s.as_ref(), "backup_label" | "tablespace_map");
        let skip = SKIP_FILES.contains(&name_s.as_ref()) && !(level == Some(Purpose::Restore) && label);
        if (top && (skip || name_s.starts_with('.'))) || name_s.starts_with("pgsql_tmp") {
            continue;
        }
        let from = entry.path();
        let to = dst.join(&name);
        // A file the server removed while we were copying is simply not part of the backup.
        let ft = match entry.file_type() {
            Ok(ft) => ft,
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        let linked = top && ft.is_symlink() && LINKED_DIRS.contains(&name_s.as_ref());
        let keep_link = matches!(level, Some(Purpose::Restore) | Some(Purpose::Backup { keep_links: true }));
        if linked && keep_link {
            let target = fs::read_link(&from)?;
            symlink(&target, &to).with_context(|| format!("creating link {}", to.display()))?;
        } else if top && (linked || EMPTY_DIRS.contains(&name_s.as_ref())) {
            fs::create_dir(&to).with_context(|| format!("creating {}", to.display()))?;
            fs::set_permissions(&to, fs::Permissions::from_mode(0o700))?;
        } else if ft.is_dir() {
            copy_dir(&from, &to, None, count)?;
        } else if ft.is_symlink() {
            let target = fs::read_link(&from)?;
            symlink(&target, &to).with_context(|| format!("creating link {}", to.display()))?;
        } else {
            match fs::copy(&from, &to) {
                Ok(_) => *count += 1,
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("copying {}", from.display())),
            }
        }
    }
    Ok(())
}
