//! `--init-master` and `--init-slave`: write `wal-master.ini` / `wal-slave.ini` into the config
//! directory (default `~/conf`) from what can be found out here: the data directory (`--pgdata`
//! or `$PGDATA`), the matching binaries, and the storage under `walmgr_data`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::config::{absolute, guess_bindir};
use super::WalOptions;
use crate::script::cli::ScriptOptions;
use crate::script::config::expand_home;

pub fn write_config(_opts: &ScriptOptions, o: &WalOptions) -> Result<()> {
    let data = match o.pgdata.clone().or_else(|| std::env::var_os("PGDATA").map(PathBuf::from)) {
        Some(d) => absolute(&d),
        None => bail!("data directory unknown: use --pgdata or set PGDATA"),
    };
    let dir = o.config_dir.clone().map(|d| absolute(&d)).unwrap_or_else(|| expand_home("~/conf"));
    let walmgr_data = o.walmgr_data.clone().unwrap_or_else(|| "~/walshipping".into());
    let bin = guess_bindir(&data);
    let slave_ini = dir.join("wal-slave.ini");
    let (file, text) = if o.init_master {
        (dir.join("wal-master.ini"), master_ini(&data, &bin, o.slave.as_deref(), &slave_ini, &walmgr_data))
    } else {
        (slave_ini.clone(), slave_ini_text(&data, &bin, &walmgr_data, o.primary_conninfo.as_deref()))
    };
    if file.exists() {
        bail!("{} already exists, not overwriting", file.display());
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for sub in ["~/log", "~/pid"] {
        let _ = std::fs::create_dir_all(expand_home(sub));
    }
    std::fs::write(&file, text).with_context(|| format!("writing {}", file.display()))?;
    println!("Wrote {}", file.display());
    Ok(())
}

fn master_ini(data: &Path, bin: &Path, slave: Option<&str>, slave_ini: &Path, walmgr_data: &str) -> String {
    let base = match slave {
        Some(h) => format!("slave = {h}\n"),
        None => String::new(),
    };
    let prefix = if slave.is_some() { "%(slave)s:" } else { "" };
    format!(
        "[walmgr]\njob_name = wal-master\nlogfile = ~/log/%(job_name)s.log\npidfile = ~/pid/%(job_name)s.pid\n\
         use_skylog = 0\n\nmaster_db = dbname=template1\nmaster_data = {data}\nmaster_config = {conf}\n\
         master_bin = {bin}\n\n{base}slave_config = {slave_ini}\nwalmgr_data = {walmgr_data}\n\
         completed_wals = {prefix}%(walmgr_data)s/logs.complete\npartial_wals = {prefix}%(walmgr_data)s/logs.partial\n\
         full_backup = {prefix}%(walmgr_data)s/data.master\nconfig_backup = {prefix}%(walmgr_data)s/config.backup\n\n\
         loop_delay = 10.0\ncompression = 0\n",
        data = data.display(),
        conf = guess_config(data).display(),
        bin = bin.display(),
        slave_ini = slave_ini.display(),
    )
}

fn slave_ini_text(data: &Path, bin: &Path, walmgr_data: &str, primary: Option<&str>) -> String {
    let pg_ctl = bin.join("pg_ctl");
    let mut s = format!(
        "[walmgr]\njob_name = wal-slave\nlogfile = ~/log/%(job_name)s.log\nuse_skylog = 0\n\n\
         slave_data = {data}\nslave_bin = {bin}\nslave_stop_cmd = {pg_ctl} -D {data} -m fast -w stop\n\
         slave_start_cmd = {pg_ctl} -D {data} -w -l {data}.log start\n\n\
         walmgr_data = {walmgr_data}\ncompleted_wals = %(walmgr_data)s/logs.complete\n\
         partial_wals = %(walmgr_data)s/logs.partial\nfull_backup = %(walmgr_data)s/data.master\n\
         config_backup = %(walmgr_data)s/config.backup\n\nbackup_datadir = yes\nkeep_backups = 0\n",
        data = data.display(),
        bin = bin.display(),
        pg_ctl = pg_ctl.display(),
    );
    if let Some(p) = primary {
        s.push_str(&format!("primary_conninfo = {p}\n"));
    }
    s
}

/// postgresql.conf of the cluster: Debian keeps it under /etc, initdb in the data directory.
pub fn guess_config(data: &Path) -> PathBuf {
    if let Ok(opts) = std::fs::read_to_string(data.join("postmaster.opts")) {
        if let Some(rest) = opts.split("config_file=").nth(1) {
            let path = rest.trim_start_matches('"').split('"').next().unwrap_or("");
            if !path.is_empty() {
                return PathBuf::from(path);
            }
        }
    }
    data.join("postgresql.conf")
}
