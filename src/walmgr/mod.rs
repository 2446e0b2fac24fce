//! walmgr: WAL archiving, base backups, standby restore and partial WAL shipping for PostgreSQL,
//! with walmgr3's command lines and `wal-master.ini` / `wal-slave.ini` keys, on the mechanisms
//! today's PostgreSQL has (standby.signal, non-exclusive backups, promotion).

mod backup;
mod backups;
mod commands;
mod config;
mod createslave;
mod datacopy;
mod init;
mod keys;
mod master_restore;
mod periodic;
mod pgconf;
mod purge;
mod restore;
mod standby_backup;
mod status;
mod store;
mod sync;
mod synch;
mod transfer;
mod walname;
mod xarchive;
mod xrestore;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::script::cli::{common_args, ScriptOptions};
use crate::script::logging::Style;
use crate::script::runner::{self, ScriptSpec};

pub use config::{Role, WalConfig};

pub const ABOUT: &str = "WAL archiving, base backups and standby management (walmgr3)";

const INI_TEMPLATE: &str = include_str!("wal-master.ini");

pub const SPEC: ScriptSpec = ScriptSpec {
    name: "walmgr",
    sections: &["walmgr"],
    ini_template: INI_TEMPLATE,
    log_style: Style::Python,
    loop_delay: 10.0,
};

const USAGE: &str = "\
usage: walmgr [options] CONFIG COMMAND [ARGS]

Master commands:
  setup              configure PostgreSQL for WAL archiving
  stop               stop archiving and de-configure PostgreSQL
  backup             take a base backup into the slave's storage
  sync               copy the WAL segment being written to the slave (once)
  syncdaemon         run sync every loop_delay seconds (use -d)
  periodic           run periodic_command if command_interval has passed
  synch-standby NAMES  set synchronous_standby_names ('' = off) if a listed standby is connected
  restore SET DATADIR  prepare DATADIR from a backup set for archive recovery (not started)
  listbackups        list backup sets
  status             archive state with monitoring exit codes
  cleanup            run the slave's cleanup (over ssh, or here for a local archive)

Slave commands:
  setup              create the storage directories
  restore [SET [DATADIR]]  make a standby from a backup and start it
  createslave        make a streaming standby with pg_basebackup (primary_conninfo)
  boot               end recovery and promote the standby
  pause | continue   hold or resume WAL replay
  backup             copy the standby (stopped for the copy) into a backup set
  listbackups        list backup sets
  status             archive and standby state
  cleanup            remove archived WAL no backup or standby needs

Internal commands (called by PostgreSQL or by the other side):
  xarchive SRCPATH NAME      archive_command
  xrestore NAME DESTPATH [RESTARTPOINT]   restore_command (slave; master: fetch back)
  xreceive NAME CRC SIZE     finish a file sent by rsync
  xpartialsync NAME OFFSET LENGTH [SEGSIZE]   write stdin into a partial segment
  xlock [PID] | xrelease     backup lock
  xrotate | xpurgewals       rotate backup sets, remove WAL no longer needed

Without a config: --init-master --slave HOST [--pgdata DIR], --init-slave [--pgdata DIR],
--synch-standby NAMES [--pgdata DIR].";

pub fn cli() -> Command {
    common_args(Command::new("walmgr"))
        .about(ABOUT)
        .override_usage("walmgr [options] CONFIG COMMAND [ARGS]")
        .after_help(USAGE)
        .arg(
            Arg::new("not_really")
                .short('n')
                .long("not-really")
                .action(ArgAction::SetTrue)
                .help("only show what would be done"),
        )
        .arg(Arg::new("init_master").long("init-master").action(ArgAction::SetTrue).help("write a master config"))
        .arg(Arg::new("init_slave").long("init-slave").action(ArgAction::SetTrue).help("write a slave config"))
        .arg(Arg::new("slave").long("slave").value_name("HOST").help("slave host for --init-master"))
        .arg(
            Arg::new("pgdata")
                .long("pgdata")
                .value_name("DIR")
                .value_parser(clap::value_parser!(PathBuf))
                .help("data directory for --init-master / --init-slave"),
        )
        .arg(
            Arg::new("config_dir")
                .long("config-dir")
                .value_name("DIR")
                .value_parser(clap::value_parser!(PathBuf))
                .help("where --init-* writes the config (default ~/conf)"),
        )
        .arg(
            Arg::new("walmgr_data")
                .long("walmgr-data")
                .value_name("DIR")
                .help("storage base directory for --init-* (default ~/walshipping)"),
        )
        .arg(
            Arg::new("primary_conninfo")
                .long("primary-conninfo")
                .value_name("CONNSTR")
                .help("--init-slave: stream from this primary"),
        )
        .arg(
            Arg::new("ssh_keygen")
                .long("ssh-keygen")
                .action(ArgAction::SetTrue)
                .help("create ~/.ssh/id_ed25519 (if absent), print its public key"),
        )
        .arg(
            Arg::new("ssh_add_key")
                .long("ssh-add-key")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .help("add the public key in FILE to ~/.ssh/authorized_keys"),
        )
        .arg(
            Arg::new("ssh_remove_key")
                .long("ssh-remove-key")
                .value_name("KEYSTR")
                .help("remove authorized_keys lines containing KEYSTR"),
        )
        .arg(
            Arg::new("add_password")
                .long("add-password")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .help("put the replication password in FILE into ~/.pgpass (with --primary-conninfo)"),
        )
        .arg(
            Arg::new("remove_password")
                .long("remove-password")
                .action(ArgAction::SetTrue)
                .help("remove that ~/.pgpass line (with --primary-conninfo)"),
        )
        .arg(
            Arg::new("synch_standby")
                .long("synch-standby")
                .value_name("NAMES")
                .help("set synchronous_standby_names ('' = off); without CONFIG the master is --pgdata"),
        )
        .arg(Arg::new("json").long("json").action(ArgAction::SetTrue).help("listbackups, status: JSON output"))
        .arg(
            Arg::new("warning")
                .long("warning")
                .value_name("SECS")
                .value_parser(clap::value_parser!(f64))
                .help("status: archive lag giving WARNING (default 300)"),
        )
        .arg(
            Arg::new("critical")
                .long("critical")
                .value_name("SECS")
                .value_parser(clap::value_parser!(f64))
                .help("status: archive lag giving CRITICAL (default 900)"),
        )
}

/// walmgr's own switches, resolved.
#[derive(Debug, Clone, Default)]
pub struct WalOptions {
    pub dry_run: bool,
    pub init_master: bool,
    pub init_slave: bool,
    pub slave: Option<String>,
    pub pgdata: Option<PathBuf>,
    pub config_dir: Option<PathBuf>,
    pub walmgr_data: Option<String>,
    pub primary_conninfo: Option<String>,
    pub json: bool,
    pub warning: f64,
    pub critical: f64,
}

impl WalOptions {
    fn from_matches(m: &ArgMatches) -> WalOptions {
        WalOptions {
            dry_run: m.get_flag("not_really"),
            init_master: m.get_flag("init_master"),
            init_slave: m.get_flag("init_slave"),
            slave: m.get_one::<String>("slave").cloned(),
            pgdata: m.get_one::<PathBuf>("pgdata").cloned(),
            config_dir: m.get_one::<PathBuf>("config_dir").cloned(),
            walmgr_data: m.get_one::<String>("walmgr_data").cloned(),
            primary_conninfo: m.get_one::<String>("primary_conninfo").cloned(),
            json: m.get_flag("json"),
            warning: m.get_one::<f64>("warning").copied().unwrap_or(300.0),
            critical: m.get_one::<f64>("critical").copied().unwrap_or(900.0),
        }
    }
}

pub fn run(_invoked_as: &str, m: &ArgMatches) -> ExitCode {
    let opts = match ScriptOptions::from_matches(m) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("walmgr: {e:#}");
            return ExitCode::from(1);
        }
    };
    let wopts = WalOptions::from_matches(m);
    let key_ops = m.get_flag("ssh_keygen")
        || m.contains_id("ssh_add_key")
        || m.contains_id("ssh_remove_key")
        || m.contains_id("add_password")
        || m.get_flag("remove_password");
    if key_ops {
        if let Err(e) = account_setup(m, &wopts) {
            eprintln!("walmgr: {e:#}");
            return ExitCode::from(1);
        }
        if !(wopts.init_master || wopts.init_slave) && opts.config.is_none() {
            return ExitCode::SUCCESS;
        }
    }
    if wopts.init_master || wopts.init_slave {
        return commands::init(&opts, &wopts);
    }
    if let (Some(names), None) = (m.get_one::<String>("synch_standby"), &opts.config) {
        return commands::synch_without_config(&opts, &wopts, names);
    }
    if opts.args.first().map(String::as_str) == Some("syncdaemon") && opts.config.is_some() {
        return commands::syncdaemon(&opts);
    }
    let (cfg, _settings) = match runner::prepare(&SPEC, &opts) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let wc = match WalConfig::from_config(&cfg) {
        Ok(wc) => wc,
        Err(e) => {
            log::error!("{e:#}");
            return ExitCode::from(1);
        }
    };
    // `CONFIG --synch-standby NAMES` is the `synch-standby NAMES` command.
    let args: Vec<String> = match m.get_one::<String>("synch_standby") {
        Some(names) => vec!["synch-standby".into(), names.clone()],
        None => opts.args.clone(),
    };
    let Some((cmd, args)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(1);
    };
    commands::dispatch(&wc, &wopts, cmd, args)
}

/// `--ssh-keygen`, `--ssh-add-key`, `--ssh-remove-key`, `--add-password`, `--remove-password`.
fn account_setup(m: &ArgMatches, o: &WalOptions) -> anyhow::Result<()> {
    if m.get_flag("ssh_keygen") {
        keys::keygen()?;
    }
    if let Some(f) = m.get_one::<PathBuf>("ssh_add_key") {
        keys::add_key(f)?;
    }
    if let Some(k) = m.get_one::<String>("ssh_remove_key") {
        keys::remove_key(k)?;
    }
    let conninfo = || {
        o.primary_conninfo
            .as_deref()
            .ok_or_else(|| anyhow::anyhow!("--add-password and --remove-password need --primary-conninfo"))
    };
    if let Some(f) = m.get_one::<PathBuf>("add_password") {
        keys::add_password(conninfo()?, f)?;
    }
    if m.get_flag("remove_password") {
        keys::remove_password(conninfo()?)?;
    }
    Ok(())
}
