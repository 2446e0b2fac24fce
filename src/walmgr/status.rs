//! `listbackups [--json]` and `status [--json] [--warning S] [--critical S]`. Status exits like a
//! monitoring plugin: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. The archive lag is the age of the
//! oldest segment waiting for the archiver on a master (`.ready`), and the age of the oldest
//! archived segment the standby has not restored yet on a slave.

use std::path::Path;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::Result;
use serde_json::{json, Value};

use super::backups::{list_sets, BackupSet};
use super::config::{Role, WalConfig};
use super::purge::STANDBY_FILE;
use super::transfer::{remote_walmgr_argv, Location};
use super::walname::is_segment;
use super::xarchive::LAST_FILE;
use super::WalOptions;

pub fn listbackups(wc: &WalConfig, as_json: bool) -> Result<()> {
    let full_backup = match &wc.storage.full_backup {
        Location::Local(p) => p,
        Location::Remote { host, .. } => {
            let mut args = vec!["listbackups".to_string()];
            if as_json {
                args.push("--json".into());
            }
            let argv = remote_walmgr_argv(wc, host, &args)?;
            let st = std::process::Command::new(&argv[0]).args(&argv[1..]).status()?;
            anyhow::ensure!(st.success(), "listbackups on {host} failed ({st})");
            return Ok(());
        }
    };
    let sets = list_sets(full_backup);
    if as_json {
        println!("{}", serde_json::to_string_pretty(&Value::Array(sets.iter().map(set_json).collect()))?);
        return Ok(());
    }
    if sets.is_empty() {
        println!("No backups found.");
        return Ok(());
    }
    println!("List of backups:");
    println!("{:<15} {:<24} {:<11} {:<24}", "Backup set", "Timestamp", "Label", "First WAL");
    println!("{} {} {} {}", "-".repeat(15), "-".repeat(24), "-".repeat(11), "-".repeat(24));
    for s in &sets {
        println!("{:<15} {:<24} {:<11} {:<24}", s.name, s.label.start_time, s.label.label, s.label.first_wal);
    }
    Ok(())
}

fn set_json(s: &BackupSet) -> Value {
    json!({
        "set": s.name,
        "path": s.path.to_string_lossy(),
        "start_time": s.label.start_time,
        "label": s.label.label,
        "first_wal": s.label.first_wal,
    })
}

fn age(t: SystemTime) -> f64 {
    SystemTime::now().duration_since(t).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// The state as JSON plus the lag the thresholds apply to.
fn collect(wc: &WalConfig) -> Result<(Value, f64)> {
    let backups = wc.storage.full_backup.local().map(list_sets).unwrap_or_default();
    let last_backup = backups.first().map(set_json).unwrap_or(Value::Null);
    match wc.role {
        Role::Master => {
            let data = &wc.master().master_data;
            let last = data.join(LAST_FILE);
            let last_archived = match (std::fs::read_to_string(&last), mtime(&last)) {
                (Ok(name), Some(t)) => json!({"name": name.trim(), "age_seconds": age(t).round()}),
                _ => Value::Null,
            };
            let status_dir = data.join("pg_wal/archive_status");
            let ready: Vec<SystemTime> = std::fs::read_dir(&status_dir)?
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".ready"))
                .filter_map(|e| e.metadata().and_then(|m| m.modified()).ok())
                .collect();
            let lag = ready.iter().map(|t| age(*t)).fold(0.0, f64::max);
            let v = json!({
                "role": "master",
                "last_archived": last_archived,
                "ready_count": ready.len(),
                "archive_lag_seconds": lag.round(),
                "last_backup": last_backup,
            });
            Ok((v, lag))
        }
        Role::Slave => {
            let completed = wc.storage.completed_wals.require_local("status")?;
            let progress = std::fs::read_to_string(completed.join(STANDBY_FILE)).unwrap_or_default();
            let mut words = progress.split_whitespace();
            let restored = words.next().unwrap_or("").to_string();
            let restart_point = words.next().unwrap_or("").to_string();
            let mut waiting: Vec<(String, SystemTime)> = std::fs::read_dir(completed)?
                .flatten()
                .filter_map(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    (is_segment(&n) && n.as_str() > restored.as_str())
                        .then(|| Some((n, e.metadata().ok()?.modified().ok()?)))?
                })
                .collect();
            waiting.sort();
            let standby = wc.slave().slave_data.join("standby.signal").exists();
            let lag = if standby { waiting.iter().map(|(_, t)| age(*t)).fold(0.0, f64::max) } else { 0.0 };
            let v = json!({
                "role": "slave",
                "standby": standby,
                "last_restored": if restored.is_empty() { Value::Null } else { json!(restored) },
                "restart_point": if restart_point.is_empty() || restart_point == "-" { Value::Null } else { json!(restart_point) },
                "waiting_count": waiting.len(),
                "newest_archived": waiting.last().map(|(n, _)| json!(n)).unwrap_or(Value::Null),
                "archive_lag_seconds": lag.round(),
                "last_backup": last_backup,
                "backup_count": backups.len(),
            });
            Ok((v, lag))
        }
    }
}

pub fn status(wc: &WalConfig, o: &WalOptions) -> Result<ExitCode> {
    let (mut v, code, text) = match collect(wc) {
        Ok((v, lag)) => {
            let code = if lag >= o.critical {
                2
            } else if lag >= o.warning {
                1
            } else {
                0
            };
            (v, code, format!("archive lag {lag:.0} s"))
        }
        Err(e) => (json!({}), 3, format!("{e:#}")),
    };
    let word = ["OK", "WARNING", "CRITICAL", "UNKNOWN"][code as usize];
    v["status"] = json!(word);
    if o.json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("WALMGR {word} - {text}");
    }
    Ok(ExitCode::from(code))
}
