//! The `[walmgr]` section of `wal-master.ini` / `wal-slave.ini` turned into typed settings. A
//! config with `master_data` is a master config, anything else a slave config; the slave-side
//! storage paths (`completed_wals`, ...) are shared by both, on the master as `host:path` or local.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::transfer::Location;
use crate::script::config::{expand_home, Config};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Role {
    Master,
    Slave,
}

/// Where the archive lives: the four directories under `walmgr_data`.
#[derive(Debug, Clone)]
pub struct Storage {
    pub completed_wals: Location,
    pub partial_wals: Location,
    pub full_backup: Location,
    pub config_backup: Option<Location>,
    /// Add `-z` to rsync.
    pub compression: bool,
    /// `rsync` even for local paths (remote paths always use rsync over ssh).
    pub use_rsync: bool,
    /// More ssh options (`ssh_options = -p 2222 -i ~/.ssh/walmgr`) for every ssh and rsync call.
    pub ssh_options: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct MasterSettings {
    pub master_db: String,
    pub master_data: PathBuf,
    pub master_config: PathBuf,
    pub master_restart_cmd: Option<String>,
    /// Where pg_controldata is (sync with the master down); guessed from the data directory.
    pub master_bin: Option<PathBuf>,
    pub slave_host: Option<String>,
    /// Path of the slave's ini on the slave host, for commands run there over ssh.
    pub slave_config: String,
    pub hot_standby: bool,
    /// A symlinked pg_wal or log directory stays a link in backups (restore creates the target).
    pub keep_symlinks: bool,
    pub command_interval: f64,
    pub periodic_command: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SlaveSettings {
    pub slave_data: PathBuf,
    /// The three below are None when not set: their defaults are guessed only when needed, so
    /// xrestore (run for every segment) never looks for binaries.
    slave_bin: Option<PathBuf>,
    slave_stop_cmd: Option<String>,
    slave_start_cmd: Option<String>,
    pub backup_datadir: bool,
    pub keep_backups: u32,
    /// Run before the oldest backup set is deleted, with `$BACKUPDIR` substituted.
    pub archive_command: Option<String>,
    pub primary_conninfo: Option<String>,
    /// The standby's wal_retrieve_retry_interval; xrestore's wait step while paused in archive
    /// recovery.
    pub restore_poll: f64,
    /// A pg_wal directory outside the data directory (another disk), linked in on restore.
    pub slave_pg_xlog: Option<PathBuf>,
    /// Where restore puts the config files saved in config_backup (None: the data directory).
    pub slave_config_dir: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct WalConfig {
    pub role: Role,
    pub config_path: PathBuf,
    pub storage: Storage,
    pub master: Option<MasterSettings>,
    pub slave: Option<SlaveSettings>,
}

impl WalConfig {
    pub fn from_config(cfg: &Config) -> Result<WalConfig> {
        let role = if cfg.get_opt("master_data")?.is_some() { Role::Master } else { Role::Slave };
        let config_path = absolute(cfg.path());
        let slave_host = cfg.get_opt("slave")?.filter(|s| !s.trim().is_empty());
        let storage = storage(cfg, if role == Role::Master { slave_host.as_deref() } else { None })?;
        let (master, slave) = match role {
            Role::Master => (Some(master(cfg, slave_host)?), None),
            Role::Slave => (None, Some(slave(cfg)?)),
        };
        Ok(WalConfig { role, config_path, storage, master, slave })
    }

    pub fn master(&self) -> &MasterSettings {
        self.master.as_ref().expect("master settings on a master config")
    }

    pub fn slave(&self) -> &SlaveSettings {
        self.slave.as_ref().expect("slave settings on a slave config")
    }
}

fn storage(cfg: &Config, slave_host: Option<&str>) -> Result<Storage> {
    let walmgr_data = cfg.get_or("walmgr_data", "~/walshipping")?;
    let default = |sub: &str| match slave_host {
        Some(h) => format!("{h}:{walmgr_data}/{sub}"),
        None => format!("{walmgr_data}/{sub}"),
    };
    let loc = |key: &str, sub: &str| -> Result<Location> {
        Location::parse(&cfg.get_opt(key)?.filter(|v| !v.is_empty()).unwrap_or_else(|| default(sub)))
            .with_context(|| format!("{} [walmgr] {key}", cfg.path().display()))
    };
    let transfer = cfg.get_or("transfer", "copy")?;
    let use_rsync = match transfer.as_str() {
        "copy" => false,
        "rsync" => true,
        other => bail!("{} [walmgr] transfer: expected 'copy' or 'rsync', got '{other}'", cfg.path().display()),
    };
    Ok(Storage {
        completed_wals: loc("completed_wals", "logs.complete")?,
        partial_wals: loc("partial_wals", "logs.partial")?,
        full_backup: loc("full_backup", "data.master")?,
        config_backup: match cfg.get_opt("config_backup")?.filter(|v| !v.is_empty()) {
            Some(v) => {
                Some(Location::parse(&v).with_context(|| format!("{} [walmgr] config_backup", cfg.path().display()))?)
            }
            None => None,
        },
        compression: cfg.get_bool("compression", Some(false))?,
        use_rsync,
        ssh_options: cfg.get_or("ssh_options", "")?.split_whitespace().map(String::from).collect(),
    })
}

fn master(cfg: &Config, slave_host: Option<String>) -> Result<MasterSettings> {
    let master_data = absolute(&cfg.get_path("master_data")?.expect("checked by caller"));
    let master_config = cfg.get_path("master_config")?.unwrap_or_else(|| master_data.join("postgresql.conf"));
    // walmgr3 chose between asking the server for its write position (1) and copying whole
    // files found in pg_xlog (0), for servers before 8.2 that lacked the functions. Every server
    // this runs against has them, and a scan of pg_wal cannot tell the segment being written
    // from a recycled one, so sync asks the server either way: the key is checked, not used.
    cfg.get_bool("use_xlog_functions", Some(false))?;
    Ok(MasterSettings {
        master_db: cfg.get_or("master_db", "dbname=template1")?,
        master_config,
        master_restart_cmd: cfg.get_opt("master_restart_cmd")?.filter(|s| !s.trim().is_empty()),
        master_bin: cfg.get_path("master_bin")?,
        slave_config: cfg.get_or("slave_config", "~/conf/wal-slave.ini")?,
        slave_host,
        hot_standby: cfg.get_bool("hot_standby", Some(false))?,
        keep_symlinks: cfg.get_bool("keep_symlinks", Some(true))?,
        command_interval: cfg.get_interval("command_interval", Some(0.0))?,
        periodic_command: cfg.get_opt("periodic_command")?.filter(|s| !s.trim().is_empty()),
        master_data,
    })
}

fn slave(cfg: &Config) -> Result<SlaveSettings> {
    let Some(data) = cfg.get_path("slave_data")? else {
        bail!("{} [walmgr]: neither master_data nor slave_data is set", cfg.path().display());
    };
    let slave_data = absolute(&data);
    let keep = cfg.get_int("keep_backups", Some(0))?;
    if keep < 0 {
        bail!("{} [walmgr] keep_backups: must not be negative", cfg.path().display());
    }
    Ok(SlaveSettings {
        slave_bin: cfg.get_path("slave_bin")?,
        slave_stop_cmd: cfg.get_opt("slave_stop_cmd")?,
        slave_start_cmd: cfg.get_opt("slave_start_cmd")?,
        backup_datadir: cfg.get_bool("backup_datadir", Some(true))?,
        keep_backups: keep as u32,
        archive_command: cfg.get_opt("archive_command")?.filter(|s| !s.trim().is_empty()),
        primary_conninfo: cfg.get_opt("primary_conninfo")?.filter(|s| !s.trim().is_empty()),
        restore_poll: cfg.get_interval("restore_poll", Some(5.0))?.max(0.01),
        slave_pg_xlog: cfg.get_path("slave_pg_xlog")?.map(|p| absolute(&p)),
        slave_config_dir: cfg.get_path("slave_config_dir")?.map(|p| absolute(&p)),
        slave_data,
    })
}

impl SlaveSettings {
    pub fn bin(&self) -> PathBuf {
        self.slave_bin.clone().unwrap_or_else(|| guess_bindir(&self.slave_data))
    }

    pub fn stop_cmd(&self) -> String {
        let pg_ctl = self.bin().join("pg_ctl");
        self.slave_stop_cmd
            .clone()
            .unwrap_or_else(|| format!("{} -D {} -m fast -w stop", pg_ctl.display(), self.slave_data.display()))
    }

    pub fn start_cmd(&self) -> String {
        let (pg_ctl, data) = (self.bin().join("pg_ctl"), self.slave_data.display());
        self.slave_start_cmd.clone().unwrap_or_else(|| format!("{} -D {data} -w -l {data}.log start", pg_ctl.display()))
    }
}

/// PostgreSQL binaries matching the data directory's major version (Debian layout), else the
/// ones on PATH.
pub fn guess_bindir(data: &Path) -> PathBuf {
    if let Ok(v) = std::fs::read_to_string(data.join("PG_VERSION")) {
        let dir = PathBuf::from(format!("/usr/lib/postgresql/{}/bin", v.trim()));
        if dir.is_dir() {
            return dir;
        }
    }
    if let Ok(out) = std::process::Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && dir.is_dir() {
            return dir;
        }
    }
    PathBuf::new()
}

/// Paths go into archive_command / restore_command, which run in the data directory: they
/// must not depend on the directory walmgr was started from.
pub fn absolute(p: &Path) -> PathBuf {
    let p = expand_home(&p.to_string_lossy());
    if p.is_absolute() {
        p
    } else {
        std::env::current_dir().map(|d| d.join(&p)).unwrap_or(p)
    }
}

impl WalConfig {
    /// On a master whose storage is local, the slave's config when it is on this host too: its
    /// keep_backups, archive_command and standby data directory govern rotation and cleanup.
    pub fn local_slave(&self) -> Result<Option<WalConfig>> {
        let path = expand_home(&self.master().slave_config);
        if self.storage.completed_wals.local().is_none() || !path.is_file() {
            return Ok(None);
        }
        let wc = WalConfig::from_config(&Config::load(&path, &["walmgr"], &[])?)?;
        Ok((wc.role == Role::Slave).then_some(wc))
    }
}
