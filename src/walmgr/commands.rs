//! The command table: which commands each role accepts, their arguments, and exit codes. The
//! work itself lives in one module per job.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use super::config::{Role, WalConfig};
use super::transfer::{remote_walmgr_argv, run_argv, Location};
use super::xrestore::{Restored, PAUSE_FILE};
use super::{
    backup, backups, createslave, init, master_restore, periodic, pgconf, purge, restore, standby_backup, status, sync,
    synch, xarchive, xrestore,
};
use super::{WalOptions, SPEC, USAGE};
use crate::script::cli::ScriptOptions;
use crate::script::logging::{self, LogSettings};
use crate::script::runner;

pub fn dispatch(wc: &WalConfig, o: &WalOptions, cmd: &str, args: &[String]) -> ExitCode {
    let master_only = ["stop", "sync", "periodic", "synch-standby", "xarchive"];
    let slave_only = [
        "createslave",
        "boot",
        "pause",
        "continue",
        "xreceive",
        "xpartialsync",
        "xlock",
        "xrelease",
        "xrotate",
        "xpurgewals",
    ];
    let known = ["setup", "backup", "listbackups", "status", "restore", "xrestore", "cleanup"];
    if !(master_only.contains(&cmd) || slave_only.contains(&cmd) || known.contains(&cmd)) {
        eprintln!("walmgr: unknown command '{cmd}'\n\n{USAGE}");
        return ExitCode::from(1);
    }
    if (wc.role == Role::Master && slave_only.contains(&cmd)) || (wc.role == Role::Slave && master_only.contains(&cmd))
    {
        log::error!("Action not available on current node.");
        return ExitCode::from(1);
    }
    match run(wc, o, cmd, args) {
        Ok(code) => code,
        Err(e) => {
            log::error!("{cmd}: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// xrestore's exit code for a failure in archive recovery: above 125, PostgreSQL's "abort
/// recovery" range.
const ABORT_RECOVERY: u8 = 255;

fn arg<'a>(args: &'a [String], i: usize, what: &str) -> Result<&'a str> {
    args.get(i).map(String::as_str).with_context(|| format!("missing argument {what}"))
}

fn run(wc: &WalConfig, o: &WalOptions, cmd: &str, args: &[String]) -> Result<ExitCode> {
    let st = &wc.storage;
    let ok = |r: Result<()>| r.map(|()| ExitCode::SUCCESS);
    match (cmd, wc.role) {
        ("setup", Role::Master) => {
            // The archive must exist before the first segment is handed to xarchive.
            if !o.dry_run {
                match &st.completed_wals {
                    Location::Local(_) => slave_setup(wc)?,
                    Location::Remote { host, .. } => run_argv(&remote_walmgr_argv(wc, host, &["setup".into()])?)?,
                }
            }
            ok(pgconf::setup(wc, o.dry_run))
        }
        ("setup", Role::Slave) => ok(slave_setup(wc)),
        ("stop", _) => ok(pgconf::stop(wc, o.dry_run)),
        ("backup", Role::Master) => ok(backup::master_backup(wc, o.dry_run)),
        ("backup", Role::Slave) => ok(standby_backup::slave_backup(wc, o.dry_run)),
        ("sync", _) => ok(sync::sync_once(wc)),
        ("periodic", _) => ok(periodic::periodic(wc.master())),
        ("synch-standby", _) => ok(synch::synch_standby(wc, arg(args, 0, "NAMES")?, o.dry_run)),
        ("listbackups", _) => ok(status::listbackups(wc, o.json)),
        ("status", _) => status::status(wc, o),
        ("restore", role) => {
            let (set, dir) = (args.first().map(String::as_str), args.get(1).map(String::as_str));
            match role {
                Role::Master => ok(master_restore::master_restore(wc, set, dir, o.dry_run)),
                Role::Slave => ok(restore::restore(wc, set, dir, o.dry_run)),
            }
        }
        ("createslave", _) => ok(createslave::createslave(wc, o.dry_run)),
        ("boot", _) => ok(restore::boot(wc)),
        ("pause", _) => ok(touch(st.completed_wals.require_local("pause")?.join(PAUSE_FILE))),
        ("continue", _) => ok(unlink(st.completed_wals.require_local("continue")?.join(PAUSE_FILE))),
        // On the master: the slave's cleanup, over ssh or in-process with its own settings.
        ("cleanup", Role::Master) => match &st.completed_wals {
            Location::Remote { host, .. } => {
                let mut args = vec!["xpurgewals".to_string()];
                if o.dry_run {
                    args.push("-n".into());
                }
                ok(run_argv(&remote_walmgr_argv(wc, host, &args)?))
            }
            Location::Local(_) => ok(purge_wals(wc.local_slave()?.as_ref().unwrap_or(wc), o.dry_run)),
        },
        ("cleanup", _) => ok(purge_wals(wc, o.dry_run)),
        ("xarchive", _) => ok(xarchive::xarchive(wc, arg(args, 0, "SRCPATH")?, arg(args, 1, "NAME")?)),
        ("xreceive", _) => ok(xarchive::xreceive(
            st.completed_wals.require_local("xreceive")?,
            arg(args, 0, "NAME")?,
            arg(args, 1, "CRC")?,
            arg(args, 2, "SIZE")?,
        )),
        ("xrestore", role) => {
            let (name, dest) = (arg(args, 0, "NAME")?, arg(args, 1, "DESTPATH")?);
            let r = match role {
                Role::Master => master_restore::fetch_back(wc, name, dest),
                Role::Slave => xrestore::xrestore(wc, name, dest, args.get(2).map(String::as_str)),
            };
            match r {
                Ok(Restored::Yes) => Ok(ExitCode::SUCCESS),
                Ok(Restored::NotFound) => Ok(ExitCode::from(1)),
                // "Not found" would end archive recovery early, at this very segment; above 125
                // PostgreSQL stops recovery instead, and it resumes here once the cause is fixed.
                // A standby just asks again, so a failure there stays an ordinary 1.
                Err(e)
                    if !(role == Role::Slave && xrestore::recovering_datadir(wc).join("standby.signal").exists()) =>
                {
                    log::error!("xrestore: {e:#}; stopping recovery");
                    Ok(ExitCode::from(ABORT_RECOVERY))
                }
                Err(e) => Err(e),
            }
        }
        ("xpartialsync", _) => {
            let seg = args.get(3).map(|s| s.parse::<u64>()).transpose().context("bad SEGSIZE")?.unwrap_or(16 << 20);
            let off = arg(args, 1, "OFFSET")?.parse().context("bad OFFSET")?;
            let len = arg(args, 2, "LENGTH")?.parse().context("bad LENGTH")?;
            let dir = st.partial_wals.require_local("xpartialsync")?;
            ok(sync::write_partial(dir, arg(args, 0, "NAME")?, off, len, seg, &mut std::io::stdin().lock()))
        }
        ("xlock", _) => {
            let pid = args.first().map(|p| p.parse::<i32>()).transpose().context("bad PID")?;
            match backups::lock(st.completed_wals.require_local("xlock")?, pid.unwrap_or(std::process::id() as i32))? {
                backups::Lock::Taken => Ok(ExitCode::SUCCESS),
                backups::Lock::HeldBy(holder) => {
                    println!("{holder}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        ("xrelease", _) => ok(backups::release(st.completed_wals.require_local("xrelease")?)),
        ("xrotate", _) => {
            let s = wc.slave();
            ok(backups::rotate(
                st.full_backup.require_local("xrotate")?,
                s.keep_backups,
                s.archive_command.as_deref(),
                o.dry_run,
            ))
        }
        ("xpurgewals", _) => ok(purge_wals(wc, o.dry_run)),
        _ => bail!("command {cmd} is not available here"),
    }
}

fn touch(p: std::path::PathBuf) -> Result<()> {
    std::fs::write(&p, b"").with_context(|| format!("creating {}", p.display()))
}

fn unlink(p: std::path::PathBuf) -> Result<()> {
    match std::fs::remove_file(&p) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", p.display()))
        }
        _ => Ok(()),
    }
}

/// Slave `setup` (and the master's, for a local archive): the storage directories.
fn slave_setup(wc: &WalConfig) -> Result<()> {
    let st = &wc.storage;
    let dirs = [Some(&st.completed_wals), Some(&st.partial_wals), st.config_backup.as_ref()];
    for loc in dirs.into_iter().flatten() {
        // A master with a local archive may still send config copies elsewhere.
        let Some(dir) = loc.local() else { continue };
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        log::info!("{} ready", dir.display());
    }
    if let Some(parent) = st.full_backup.local().and_then(Path::parent) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    Ok(())
}

/// `xpurgewals` and `cleanup` (unlike walmgr3's, it never deletes the config): removes WAL older than what the oldest backup and the standby need.
pub fn purge_wals(wc: &WalConfig, dry_run: bool) -> Result<()> {
    let st = &wc.storage;
    let completed = st.completed_wals.require_local("xpurgewals")?;
    // Without the slave's settings (a master's view) a recorded standby position is respected.
    let standby = wc.slave.as_ref().map_or(true, |s| s.slave_data.join("standby.signal").exists());
    match purge::oldest_needed(completed, st.full_backup.require_local("xpurgewals")?, standby) {
        Some(limit) => purge::purge(completed, st.partial_wals.local(), &limit, dry_run).map(|_| ()),
        None => {
            log::info!("no backup and no standby position known, keeping all WAL");
            Ok(())
        }
    }
}

pub fn init(opts: &ScriptOptions, o: &WalOptions) -> ExitCode {
    match init::write_config(opts, o) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("walmgr: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// `--synch-standby NAMES` without a config file.
pub fn synch_without_config(opts: &ScriptOptions, o: &WalOptions, names: &str) -> ExitCode {
    let settings = LogSettings {
        style: SPEC.log_style,
        verbose: opts.verbose,
        quiet: opts.quiet,
        console: true,
        logfile: None,
        log_size: 0,
        log_count: 0,
    };
    if let Err(e) = logging::configure(settings) {
        eprintln!("walmgr: {e:#}");
        return ExitCode::from(1);
    }
    match synch::without_config(o.pgdata.as_deref(), names, o.dry_run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("synch-standby: {e:#}");
            ExitCode::from(1)
        }
    }
}

pub fn syncdaemon(opts: &ScriptOptions) -> ExitCode {
    runner::run_job(&SPEC, opts, |cfg, _signals| {
        let wc = WalConfig::from_config(cfg)?;
        if wc.role != Role::Master {
            bail!("Action not available on current node.");
        }
        sync::SyncJob::new(wc)
    })
}
