//! The `[pgqd]` section turned into typed settings with the C pgqd's defaults. Unknown keys and
//! bad values are errors, as in the original, so a typo never silently falls back to a default.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{anyhow, bail, Result};

use crate::script::config::Config;
use crate::script::connstr::ConnStr;

/// Every key `[pgqd]` accepts. The framework keys (`job_name`, `log_size`, `log_count`) are
/// accepted too because the shared logging reads them.
const KEYS: &[&str] = &[
    "logfile",
    "pidfile",
    "base_connstr",
    "initial_database",
    "database_list",
    "syslog",
    "syslog_ident",
    "syslog_facility",
    "check_period",
    "maint_period",
    "retry_period",
    "ticker_period",
    "commit_tick_min_interval",
    "stats_period",
    "connection_lifetime",
    "max_reconnect_failures",
    "metrics_listen",
    "job_name",
    "log_size",
    "log_count",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub base_connstr: ConnStr,
    pub initial_database: String,
    /// None = serve every database of the cluster that has pgq.
    pub database_list: Option<Vec<String>>,
    pub syslog: bool,
    pub syslog_ident: String,
    pub syslog_facility: String,
    pub check_period: Duration,
    pub maint_period: Duration,
    pub retry_period: Duration,
    pub ticker_period: Duration,
    /// The shortest gap between two ticks asked for by commits (ticker_on_commit).
    pub commit_tick_min_interval: Duration,
    pub stats_period: Duration,
    pub connection_lifetime: Duration,
    /// 0 = retry for ever.
    pub max_reconnect_failures: u32,
    pub metrics_listen: Option<SocketAddr>,
}

impl Settings {
    pub fn from_config(cfg: &Config) -> Result<Settings> {
        for key in cfg.keys() {
            if !KEYS.contains(&key.as_str()) {
                bail!("{} [{}] {key}: unknown parameter", cfg.path().display(), cfg.section());
            }
        }
        let period = |key: &str, default: f64| -> Result<Duration> {
            let v = cfg.get_interval(key, Some(default))?;
            if v <= 0.0 {
                bail!("{} [{}] {key}: must be above zero, got '{v}'", cfg.path().display(), cfg.section());
            }
            Ok(Duration::from_secs_f64(v))
        };
        let base = cfg.get_or("base_connstr", "")?;
        let base_connstr = ConnStr::parse(&base)
            .map_err(|e| anyhow!("{} [{}] base_connstr: {e:#}", cfg.path().display(), cfg.section()))?;
        let list = split_names(&cfg.get_or("database_list", "")?);
        let metrics_listen = match cfg.get_opt("metrics_listen")?.filter(|v| !v.trim().is_empty()) {
            None => None,
            Some(v) => Some(v.trim().parse().map_err(|_| {
                anyhow!(
                    "{} [{}] metrics_listen: bad address '{v}' (want host:port, e.g. 127.0.0.1:9898)",
                    cfg.path().display(),
                    cfg.section()
                )
            })?),
        };
        let syslog_facility = cfg.get_or("syslog_facility", "daemon")?;
        if crate::script::syslog::facility(&syslog_facility).is_none() {
            bail!("{} [{}] syslog_facility: unknown facility '{syslog_facility}'", cfg.path().display(), cfg.section());
        }
        let max_failures = cfg.get_int("max_reconnect_failures", Some(0))?;
        if max_failures < 0 {
            bail!("{} [{}] max_reconnect_failures: must not be negative", cfg.path().display(), cfg.section());
        }
        Ok(Settings {
            base_connstr,
            initial_database: cfg.get_or("initial_database", "template1")?,
            database_list: (!list.is_empty()).then_some(list),
            syslog: cfg.get_int("syslog", Some(1))? != 0,
            syslog_ident: cfg.get_or("syslog_ident", "pgqd")?,
            syslog_facility,
            check_period: period("check_period", 60.0)?,
            maint_period: period("maint_period", 120.0)?,
            retry_period: period("retry_period", 30.0)?,
            ticker_period: period("ticker_period", 1.0)?,
            commit_tick_min_interval: period("commit_tick_min_interval", 0.005)?,
            stats_period: period("stats_period", 30.0)?,
            connection_lifetime: period("connection_lifetime", 3600.0)?,
            max_reconnect_failures: max_failures.min(u32::MAX as i64) as u32,
            metrics_listen,
        })
    }

    /// The connect string of one served database: base_connstr plus its dbname.
    pub fn connstr(&self, dbname: &str) -> ConnStr {
        self.base_connstr.with("dbname", dbname)
    }
}

/// `database_list` is a word list separated by commas and/or spaces.
fn split_names(v: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for n in v.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()) {
        if !names.iter().any(|x| x == n) {
            names.push(n.to_string());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_originals() {
        let s = Settings::from_config(&Config::from_pairs("pgqd", &[])).unwrap();
        assert_eq!(s.initial_database, "template1");
        assert_eq!(s.database_list, None);
        assert_eq!(s.ticker_period, Duration::from_secs(1));
        assert_eq!(s.commit_tick_min_interval, Duration::from_millis(5));
        assert_eq!(s.maint_period, Duration::from_secs(120));
        assert_eq!(s.retry_period, Duration::from_secs(30));
        assert_eq!(s.check_period, Duration::from_secs(60));
        assert_eq!(s.stats_period, Duration::from_secs(30));
        assert_eq!(s.connection_lifetime, Duration::from_secs(3600));
        assert!(s.syslog);
        assert_eq!(s.max_reconnect_failures, 0);
        assert_eq!(s.metrics_listen, None);
    }

    #[test]
    fn lists_periods_and_errors() {
        let s = Settings::from_config(&Config::from_pairs(
            "pgqd",
            &[("database_list", "a, b c,,a"), ("ticker_period", "10ms"), ("metrics_listen", "127.0.0.1:9898")],
        ))
        .unwrap();
        assert_eq!(s.database_list, Some(vec!["a".into(), "b".into(), "c".into()]));
        assert_eq!(s.ticker_period, Duration::from_millis(10));
        assert_eq!(s.connstr("x y").get("dbname"), Some("x y"));
        let err = |pairs: &[(&str, &str)]| {
            format!("{:#}", Settings::from_config(&Config::from_pairs("pgqd", pairs)).unwrap_err())
        };
        assert!(err(&[("ticker_perod", "1")]).contains("ticker_perod: unknown parameter"));
        assert!(err(&[("ticker_period", "often")]).contains("ticker_period: bad time interval value 'often'"));
        assert!(err(&[("maint_period", "0")]).contains("must be above zero"));
        assert!(err(&[("metrics_listen", "9898")]).contains("bad address '9898'"));
        assert!(err(&[("base_connstr", "hots=x")]).contains("base_connstr"));
        assert!(err(&[("syslog_facility", "local9")]).contains("syslog_facility: unknown facility 'local9'"));
    }
}
