//! Master `synch-standby NAMES`: sets `synchronous_standby_names` in master_config and reloads,
//! but only when the new setting can be met by a standby connected now, so commits never start
//! waiting for a standby that is not there. `''` turns synchronous replication off.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::config::{absolute, WalConfig};
use super::init::guess_config;
use super::pgconf::{reload, write_params};
use crate::script::config::Config;
use crate::script::db;

/// The standby names a `synchronous_standby_names` value lists: `a, b`, `FIRST n (a, b)`,
/// `ANY n (a, b)`, `n (a, b)`; quoted names lose their quotes; `*` stays.
pub fn listed_names(value: &str) -> Vec<String> {
    let v = value.trim();
    let inner = match (v.find('('), v.rfind(')')) {
        (Some(open), Some(close)) if close > open => &v[open + 1..close],
        _ => v,
    };
    inner.split(',').map(|n| n.trim().trim_matches('"').to_string()).filter(|n| !n.is_empty()).collect()
}

pub fn synch_standby(wc: &WalConfig, names: &str, dry_run: bool) -> Result<()> {
    let m = wc.master();
    let wanted = listed_names(names);
    if !wanted.is_empty() {
        let mut c = db::connect_str(&m.master_db, "walmgr")?;
        let connected: Vec<String> = c
            .query("select application_name from pg_stat_replication where state = 'streaming'", &[])?
            .iter()
            .map(|r| r.get(0))
            .collect();
        log::info!("connected standbys: {}", if connected.is_empty() { "none".into() } else { connected.join(", ") });
        let available = if wanted.iter().any(|n| n == "*") {
            !connected.is_empty()
        } else {
            wanted.iter().any(|n| connected.iter().any(|c| c.eq_ignore_ascii_case(n)))
        };
        if !available {
            bail!("At least one slave must be available from new list when enabling synchronous mode");
        }
    }
    write_params(m, &[("synchronous_standby_names", names.to_string())], dry_run)?;
    if !dry_run {
        reload(m);
    }
    Ok(())
}

/// `--synch-standby NAMES` without a config: the master found from `--pgdata` (or `$PGDATA`),
/// its config file guessed as `--init-master` does, and the server reached through the socket
/// directory and port its postmaster.pid names.
pub fn without_config(pgdata: Option<&Path>, names: &str, dry_run: bool) -> Result<()> {
    let data = match pgdata.map(Path::to_path_buf).or_else(|| std::env::var_os("PGDATA").map(PathBuf::from)) {
        Some(d) => absolute(&d),
        None => bail!("--synch-standby without a config needs --pgdata or PGDATA"),
    };
    let pidfile = data.join("postmaster.pid");
    let text = std::fs::read_to_string(&pidfile)
        .with_context(|| format!("no running server in {} (reading {})", data.display(), pidfile.display()))?;
    let lines: Vec<&str> = text.lines().collect();
    let (Some(port), Some(socket_dir)) = (lines.get(3), lines.get(4)) else {
        bail!("{}: no port and socket directory in it", pidfile.display());
    };
    let host = socket_dir.split(',').next().unwrap_or("").trim();
    let host = if host.is_empty() { "localhost" } else { host };
    let master_db = format!("host={host} port={} dbname=template1", port.trim());
    let (data_s, conf_s) = (data.to_string_lossy(), guess_config(&data).to_string_lossy().into_owned());
    let cfg = Config::from_pairs(
        "walmgr",
        &[("master_data", &data_s), ("master_config", &conf_s), ("master_db", &master_db)],
    );
    synch_standby(&WalConfig::from_config(&cfg)?, names, dry_run)
}

#[cfg(test)]
mod tests {
    use super::listed_names;

    #[test]
    fn reads_every_syntax() {
        assert_eq!(listed_names("s1, s2"), ["s1", "s2"]);
        assert_eq!(listed_names("FIRST 2 (s1, \"S 2\", s3)"), ["s1", "S 2", "s3"]);
        assert_eq!(listed_names("ANY 1 (s1)"), ["s1"]);
        assert_eq!(listed_names("1 (s1,s2)"), ["s1", "s2"]);
        assert_eq!(listed_names("*"), ["*"]);
        assert!(listed_names("").is_empty());
    }
}
