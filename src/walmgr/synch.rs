//! Master `synch-standby NAMES`: sets `synchronous_standby_names` in master_config and reloads,
//! but only when the new setting can be met by a standby connected now, so commits never start
//! waiting for a standby that is not there. `''` turns synchronous replication off.

use anyhow::{bail, Result};

use super::config::WalConfig;
use super::pgconf::{reload, write_params};
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
