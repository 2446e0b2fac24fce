//! The main thread of pgqd: decides which databases to serve (the configured list, or every
//! database of the cluster, re-checked every check_period), starts and stops their workers,
//! writes the stats line, and handles HUP (reload), INT (clean stop) and TERM (fast exit).

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use tokio::runtime::Handle;

use super::failures::Failures;
use super::settings::Settings;
use super::worker::{label, Shared, Worker};
use crate::script::config::Config;
use crate::script::db::{anyhow_text, error_text};

/// How long a clean stop waits for workers busy in a query before exiting anyway.
const STOP_GRACE: Duration = Duration::from_secs(5);

pub struct Supervisor {
    cfg: Config,
    shared: Arc<Shared>,
    workers: BTreeMap<String, Worker>,
    discovery_failures: Failures,
    /// The ticker thread's runtime: every database's ticker task runs there.
    tickers: Handle,
}

impl Supervisor {
    /// Starts the ticker thread (after daemonizing: threads do not survive fork).
    pub fn new(cfg: Config, shared: Arc<Shared>) -> Result<Supervisor> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let tickers = rt.handle().clone();
        std::thread::Builder::new().name("tickers".into()).spawn(move || rt.block_on(std::future::pending::<()>()))?;
        Ok(Supervisor { cfg, shared, workers: BTreeMap::new(), discovery_failures: Failures::default(), tickers })
    }

    /// Runs until INT, TERM or a worker giving up.
    pub fn run(mut self) -> ExitCode {
        let signals = self.shared.signals.clone();
        let mut next_check = Instant::now();
        let mut next_stats = Instant::now() + self.shared.settings().stats_period;
        loop {
            if signals.terminate_requested() {
                return ExitCode::from(1);
            }
            if signals.stop_requested() {
                self.stop_all();
                return ExitCode::SUCCESS;
            }
            if let Some(msg) = self.shared.fatal() {
                log::error!("{msg}");
                self.stop_all();
                return ExitCode::from(1);
            }
            if signals.take_reload() {
                log::info!("Got SIGHUP, re-reading config");
                self.reload();
                next_check = Instant::now();
            }
            let s = self.shared.settings();
            let now = Instant::now();
            if now >= next_check {
                self.check_databases(&s);
                next_check = now + s.check_period;
            }
            if now >= next_stats {
                log::info!("{}", self.shared.stats.take_line());
                next_stats = now + s.stats_period;
            }
            signals.sleep(next_check.min(next_stats).saturating_duration_since(Instant::now()));
        }
    }

    fn reload(&mut self) {
        let result = self.cfg.reload().and_then(|()| Settings::from_config(&self.cfg));
        match result {
            Ok(s) => self.shared.set_settings(s),
            Err(e) => log::error!("Config reload failed, keeping the old one: {}", anyhow_text(&e)),
        }
    }

    fn check_databases(&mut self, s: &Settings) {
        let wanted = match &s.database_list {
            Some(list) => list.clone(),
            None => {
                log::info!("auto-detecting dbs ...");
                match list_databases(s) {
                    Ok(names) => {
                        self.discovery_failures.recovered(&s.initial_database);
                        names
                    }
                    Err(e) => {
                        self.discovery_failures.failed(
                            &label(&s.initial_database),
                            "listing databases",
                            &anyhow_text(&e),
                        );
                        return;
                    }
                }
            }
        };
        let gone: Vec<String> = self.workers.keys().filter(|n| !wanted.contains(n)).cloned().collect();
        for name in gone {
            log::info!("Unregister database: [{}]", label(&name));
            if let Some(w) = self.workers.remove(&name) {
                // Not joined: it may sit in a query on a dying database; it ends on its own.
                w.stop.stop();
            }
            self.shared.stats.forget(&name);
        }
        for name in wanted {
            if self.workers.get(&name).is_some_and(|w| !w.is_finished()) {
                continue;
            }
            let w = Worker::spawn(&name, self.shared.clone(), &self.tickers);
            self.workers.insert(name, w);
        }
    }

    /// INT: stop every worker and give those inside a query a moment to finish it.
    fn stop_all(&mut self) {
        for w in self.workers.values() {
            w.stop.stop();
        }
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline && self.workers.values().any(|w| !w.is_finished()) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Every database of the cluster that accepts connections, listed from initial_database.
fn list_databases(s: &Settings) -> Result<Vec<String>> {
    let connstr = s.connstr(&s.initial_database);
    let mut cfg = connstr.to_config("pgqd")?;
    cfg.notice_callback(|_| ());
    let mut client =
        cfg.connect(postgres::NoTls).map_err(|e| anyhow!("cannot connect to '{connstr}': {}", error_text(&e)))?;
    let rows = client
        .query("select datname::text from pg_catalog.pg_database where not datistemplate and datallowconn", &[])?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
