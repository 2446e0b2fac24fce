//! Slave `createslave`: a streaming standby straight from the primary named in
//! `primary_conninfo`. walmgr3 ran pg_receivexlog beside pg_basebackup and waited for the
//! standby to switch to streaming; `pg_basebackup -X stream` now brings the WAL the copy needs
//! itself. The result is set up like a restored standby: the archive stays its fallback source.

use std::process::Command;

use anyhow::{bail, Context, Result};

use super::backups::{self, Lock};
use super::config::WalConfig;
use super::restore::{clear_target, start_standby};

pub fn createslave(wc: &WalConfig, dry_run: bool) -> Result<()> {
    let s = wc.slave();
    let Some(conninfo) = &s.primary_conninfo else {
        bail!("createslave needs primary_conninfo in {}", wc.config_path.display());
    };
    let completed = wc.storage.completed_wals.require_local("createslave")?;
    let pg_basebackup = s.bin().join("pg_basebackup");
    if dry_run {
        log::info!("would run {} into {}", pg_basebackup.display(), s.slave_data.display());
        return Ok(());
    }
    if let Lock::HeldBy(h) = backups::lock(completed, std::process::id() as i32)? {
        bail!("Backup lock already taken (pid {h})");
    }
    let result = (|| -> Result<()> {
        let old = clear_target(wc, &s.slave_data)?;
        log::info!("copying the primary with {}", pg_basebackup.display());
        let out = Command::new(&pg_basebackup)
            .arg("-D")
            .arg(&s.slave_data)
            .args(["-X", "stream", "-c", "fast", "-d", conninfo])
            .output()
            .with_context(|| format!("running {}", pg_basebackup.display()))?;
        if !out.status.success() {
            bail!("pg_basebackup failed: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        // The primary's config files are not wanted here: the standby keeps its own.
        start_standby(wc, &s.slave_data, old.as_deref(), false)
    })();
    if let Err(e) = backups::release(completed) {
        log::warn!("releasing the backup lock: {e:#}");
    }
    if result.is_ok() {
        log::info!("Streaming replication standby created successfully");
    }
    result
}
