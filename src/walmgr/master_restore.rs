//! `restore SET DATADIR` run with the master's config: prepares DATADIR from a backup set (in
//! the local storage, or fetched with rsync over ssh from the slave) for archive recovery from
//! the archive (`recovery.signal`, restore_command = this config's `xrestore`, which fetches
//! segments back), and does not start it. walmgr3 asked yes/no questions here; this one never
//! asks and never deletes: an existing DATADIR is moved aside to `DATADIR.N`, and a running
//! server in it is refused.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::config::WalConfig;
use super::datacopy::{copy_datadir, Purpose};
use super::pgconf::set_param;
use super::restore::{place_linked_dirs, relocate_tablespaces, running_pid, set_aside};
use super::transfer::{rsync_argv, run_argv, self_command, shell_quote, Location};
use super::walname::is_segment;
use super::xrestore::Restored;

pub fn master_restore(wc: &WalConfig, set: Option<&str>, datadir: Option<&str>, dry_run: bool) -> Result<()> {
    let (Some(set), Some(datadir)) = (set, datadir) else {
        bail!("on the master, restore needs a backup set and a target directory: restore SET DATADIR");
    };
    if set.contains('/') {
        bail!("backup set '{set}': a name such as data.master or data.master.0");
    }
    let data = super::config::absolute(Path::new(datadir));
    if running_pid(&data).is_some() {
        bail!("a server is running in {}; stop it first", data.display());
    }
    let source = match &wc.storage.full_backup {
        Location::Local(p) => Location::Local(p.parent().unwrap_or(Path::new("/")).join(set)),
        Location::Remote { host, path } => {
            let parent = Path::new(path).parent().unwrap_or(Path::new("/"));
            Location::Remote { host: host.clone(), path: parent.join(set).to_string_lossy().into_owned() }
        }
    };
    if dry_run {
        log::info!("would prepare {} from {source} for archive recovery", data.display());
        return Ok(());
    }
    if let Some(old) = set_aside(&data, true)? {
        log::info!("{} was kept as {}", data.display(), old.display());
    }
    log::info!("copying {source} to {}", data.display());
    match &source {
        Location::Local(dir) => {
            if !dir.join("backup_label").is_file() {
                bail!("{} is not a backup set (no backup_label)", dir.display());
            }
            copy_datadir(dir, &data, Purpose::Restore)?;
        }
        remote => {
            let st = &wc.storage;
            let src = remote.rsync_path("");
            run_argv(&rsync_argv(&st.ssh_options, st.compression, &[], &[src], &format!("{}/", data.display())))?;
            if !data.join("backup_label").is_file() {
                bail!("{remote} is not a backup set (no backup_label)");
            }
        }
    }
    relocate_tablespaces(&data)?;
    place_linked_dirs(&data)?;
    fs::create_dir_all(data.join("pg_wal/archive_status"))?;
    fs::set_permissions(&data, fs::Permissions::from_mode(0o700))?;
    write_recovery_settings(wc, &data)?;
    fs::write(data.join("recovery.signal"), b"").context("creating recovery.signal")?;
    log::info!(
        "{} is ready: start it and it recovers to the end of the archive, then promotes \
         (archive_mode is off there until you turn it on)",
        data.display()
    );
    Ok(())
}

fn write_recovery_settings(wc: &WalConfig, data: &Path) -> Result<()> {
    let config = shell_quote(&wc.config_path.to_string_lossy());
    let auto = data.join("postgresql.auto.conf");
    let mut text = fs::read_to_string(&auto).unwrap_or_default();
    text = set_param(&text, "restore_command", &self_command(&[&config, "xrestore", "%f", "\"%p\""])?);
    text = set_param(&text, "recovery_target_timeline", "latest");
    // A second server archiving its new timeline into the same archive, beside the master that
    // may still run, is how archives get two different files under one name.
    text = set_param(&text, "archive_mode", "off");
    fs::write(&auto, text).with_context(|| format!("writing {}", auto.display()))
}

/// The master's xrestore: fetches NAME back from the archive (or the partially synced copy of
/// a segment the archive does not have) into DEST, relative to the recovering server's data
/// directory, where PostgreSQL runs restore_command.
pub fn fetch_back(wc: &WalConfig, name: &str, dest: &str) -> Result<Restored> {
    super::xarchive::check_name(name)?;
    let dest = PathBuf::from(dest);
    let st = &wc.storage;
    let mut places = vec![(&st.completed_wals, false)];
    if is_segment(name) {
        places.push((&st.partial_wals, true));
    }
    for (loc, partial) in places {
        match loc {
            Location::Local(dir) if dir.join(name).exists() => fetch_local(dir, name, &dest, partial)?,
            Location::Local(_) => continue,
            Location::Remote { host, path } => {
                if !remote_exists(wc, host, &Path::new(path).join(name))? {
                    continue;
                }
                let tmp = std::env::temp_dir().join(format!("walmgr-fetch-{}", std::process::id()));
                fs::create_dir_all(&tmp)?;
                let mut files = vec![loc.rsync_path(name)];
                if !partial {
                    files.push(loc.rsync_path(&format!("{name}.sum")));
                }
                let to = format!("{}/", tmp.display());
                // A file without its .sum (put there by another tool) is fetched with a warning.
                let extra = ["--ignore-missing-args"];
                let fetched = run_argv(&rsync_argv(&st.ssh_options, false, &extra, &files, &to))
                    .and_then(|()| fetch_local(&tmp, name, &dest, partial));
                let _ = fs::remove_dir_all(&tmp);
                fetched?
            }
        }
        log::info!("{name} restored{}", if partial { " from the partially synced copy" } else { "" });
        return Ok(Restored::Yes);
    }
    log::info!("{name} not in the archive");
    Ok(Restored::NotFound)
}

/// A partial copy is taken as it is; an archived file is verified (and decompressed).
fn fetch_local(dir: &Path, name: &str, dest: &Path, partial: bool) -> Result<()> {
    if partial {
        fs::copy(dir.join(name), dest).with_context(|| format!("copying {}", dir.join(name).display()))?;
    } else {
        super::store::fetch(dir, name, dest)?;
    }
    Ok(())
}

/// Whether `path` exists on `host`: `test -e` over ssh; an ssh failure (255) is an error, so it
/// is never mistaken for "not in the archive".
fn remote_exists(wc: &WalConfig, host: &str, path: &Path) -> Result<bool> {
    let argv = super::transfer::ssh_argv(
        &wc.storage.ssh_options,
        host,
        &["test".into(), "-e".into(), path.to_string_lossy().into_owned()],
    );
    let st = std::process::Command::new(&argv[0]).args(&argv[1..]).status().context("running ssh")?;
    match st.code() {
        Some(0) => Ok(true),
        Some(1) => Ok(false),
        _ => bail!("ssh {host} failed ({st})"),
    }
}
