//! `periodic` (and the hook run after each xarchive): runs `periodic_command` when
//! `command_interval` seconds have passed since the last run, remembered by the mtime of
//! `.walshipping.periodic` in master_data. Hook failures are logged, never fail archiving.

use std::process::Command;
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context, Result};

use super::config::MasterSettings;

const STAMP: &str = ".walshipping.periodic";

pub fn run_if_due(m: &MasterSettings) {
    if let Err(e) = periodic(m) {
        log::warn!("periodic command: {e:#}");
    }
}

pub fn periodic(m: &MasterSettings) -> Result<()> {
    let Some(cmd) = &m.periodic_command else { return Ok(()) };
    if m.command_interval <= 0.0 {
        return Ok(());
    }
    let stamp = m.master_data.join(STAMP);
    let last = std::fs::metadata(&stamp).and_then(|md| md.modified()).ok();
    let due = match last.map(|t| SystemTime::now().duration_since(t)) {
        Some(Ok(age)) => age >= Duration::from_secs_f64(m.command_interval),
        Some(Err(_)) => false,
        None => true,
    };
    if !due {
        return Ok(());
    }
    std::fs::write(&stamp, b"").with_context(|| format!("writing {}", stamp.display()))?;
    log::info!("running periodic command: {cmd}");
    let st = Command::new("sh").arg("-c").arg(cmd).status().context("starting sh")?;
    if !st.success() {
        bail!("'{cmd}' failed ({st})");
    }
    Ok(())
}
