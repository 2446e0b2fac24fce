//! The Prometheus metrics of `metrics_listen`: pgqd's own counters per database, plus per queue
//! and consumer figures from one query per database with pgq and scrape. The query reads only pgq's
//! small tables and sequences (get_queue_info, get_consumer_info), never an event table, runs in
//! a read-only session with a statement timeout, and is skipped for databases the worker reports
//! down, so a scrape answers at once while a database is away.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use postgres::{Client, NoTls};

use super::worker::Shared;

/// Per-database sessions of the metrics thread, kept between scrapes.
pub struct Collector {
    shared: Arc<Shared>,
    conns: BTreeMap<String, Client>,
}

/// One row of the per-database query.
struct PgqRow {
    kind: String,
    queue: String,
    consumer: Option<String>,
    a: Option<f64>,
    b: Option<f64>,
    c: Option<f64>,
}

const PGQ_QUERY: &str = "\
    select 'queue'::text, queue_name::text, null::text, extract(epoch from ticker_lag)::float8, \
           ev_per_sec::float8, ev_new::float8 \
      from pgq.get_queue_info() \
    union all \
    select 'consumer', queue_name::text, consumer_name::text, extract(epoch from lag)::float8, \
           extract(epoch from last_seen)::float8, pending_events::float8 \
      from pgq.get_consumer_info()";

/// A metric from the pgq rows: name, type, help, per consumer (else per queue), the value.
type RowMetric = (&'static str, &'static str, &'static str, bool, fn(&PgqRow) -> Option<f64>);

/// A metric family being written: HELP and TYPE once, then its samples.
struct Family<'a> {
    out: &'a mut String,
}

impl Family<'_> {
    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        let _ = write!(self.out, "{name}");
        if !labels.is_empty() {
            let parts: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
            let _ = write!(self.out, "{{{}}}", parts.join(","));
        }
        let _ = writeln!(self.out, " {}", fmt_value(value));
    }
}

fn family<'a>(out: &'a mut String, name: &str, kind: &str, help: &str) -> Family<'a> {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    Family { out }
}

/// Label values escape backslash, double quote and newline (text format 0.0.4).
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn fmt_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

impl Collector {
    pub fn new(shared: Arc<Shared>) -> Collector {
        Collector { shared, conns: BTreeMap::new() }
    }

    /// The whole scrape body.
    pub fn render(&mut self) -> String {
        let dbs = self.shared.stats.snapshot();
        self.conns.retain(|name, _| dbs.iter().any(|(n, _)| n == name));
        let mut out = String::new();
        family(&mut out, "pgqd_up", "gauge", "1 while pgqd runs.").sample("pgqd_up", &[], 1.0);
        let own: [(&str, &str, &str); 4] = [
            ("pgqd_database_up", "gauge", "1 if the database's ticker is connected."),
            ("pgqd_database_errors_total", "counter", "Failed connects and ticker calls."),
            ("pgqd_ticks_total", "counter", "Successful pgq.ticker() calls."),
            ("pgqd_maintenance_runs_total", "counter", "Completed maintenance rounds."),
        ];
        for (name, kind, help) in own {
            let mut f = family(&mut out, name, kind, help);
            for (db, st) in &dbs {
                let v = match name {
                    "pgqd_database_up" => u64::from(st.up.load(Ordering::Relaxed)),
                    "pgqd_database_errors_total" => st.errors.load(Ordering::Relaxed),
                    "pgqd_ticks_total" => st.ticks.load(Ordering::Relaxed),
                    _ => st.maint_runs.load(Ordering::Relaxed),
                };
                f.sample(name, &[("database", db)], v as f64);
            }
        }
        let mut f = family(&mut out, "pgqd_last_tick_age_seconds", "gauge", "Seconds since the last successful tick.");
        for (db, st) in &dbs {
            if let Some(t) = st.last_tick() {
                f.sample("pgqd_last_tick_age_seconds", &[("database", db)], t.elapsed().as_secs_f64());
            }
        }
        let mut rows: Vec<(String, PgqRow)> = Vec::new();
        for (db, st) in &dbs {
            if !st.up.load(Ordering::Relaxed) || !st.has_pgq.load(Ordering::Relaxed) {
                self.conns.remove(db);
                continue;
            }
            match self.query(db) {
                Ok(r) => rows.extend(r.into_iter().map(|r| (db.clone(), r))),
                Err(e) => {
                    log::debug!(
                        "[{}]: metrics query failed: {}",
                        super::worker::label(db),
                        crate::script::db::anyhow_text(&e)
                    );
                    self.conns.remove(db);
                }
            }
        }
        let per_row: [RowMetric; 6] = [
            ("pgq_queue_ticker_lag_seconds", "gauge", "Age of the queue's newest tick.", false, |r| r.a),
            ("pgq_queue_events_per_second", "gauge", "Event rate over the recent ticks.", false, |r| r.b),
            ("pgq_queue_pending_events", "gauge", "Events not yet in any tick.", false, |r| r.c),
            ("pgq_consumer_lag_seconds", "gauge", "Age of the consumer's last finished tick.", true, |r| r.a),
            (
                "pgq_consumer_last_seen_seconds",
                "gauge",
                "Seconds since the consumer last finished a batch.",
                true,
                |r| r.b,
            ),
            ("pgq_consumer_pending_events", "gauge", "Events the consumer has not read yet.", true, |r| r.c),
        ];
        for (name, kind, help, consumer, value) in per_row {
            let mut f = family(&mut out, name, kind, help);
            for (db, r) in &rows {
                let Some(v) = value(r) else { continue };
                match (&r.consumer, consumer) {
                    (Some(c), true) if r.kind == "consumer" => {
                        f.sample(name, &[("database", db), ("queue", &r.queue), ("consumer", c)], v)
                    }
                    (None, false) if r.kind == "queue" => f.sample(name, &[("database", db), ("queue", &r.queue)], v),
                    _ => {}
                }
            }
        }
        out
    }

    fn query(&mut self, db: &str) -> Result<Vec<PgqRow>> {
        if !self.conns.contains_key(db) {
            let c = self.connect(db)?;
            self.conns.insert(db.to_string(), c);
        }
        let c = self.conns.get_mut(db).expect("connected above");
        let rows = c.query(PGQ_QUERY, &[])?;
        Ok(rows
            .iter()
            .map(|r| PgqRow {
                kind: r.get(0),
                queue: r.get(1),
                consumer: r.get(2),
                a: r.get(3),
                b: r.get(4),
                c: r.get(5),
            })
            .collect())
    }

    /// A read-only session that gives up quickly: a scrape must never wait on a stuck database.
    fn connect(&self, db: &str) -> Result<Client> {
        let connstr = self.shared.settings().connstr(db).with("connect_timeout", "2");
        let mut cfg = connstr.to_config("pgqd metrics")?;
        cfg.notice_callback(|_| ());
        cfg.connect_timeout(Duration::from_secs(2));
        let mut c = cfg.connect(NoTls).with_context(|| format!("cannot connect to '{connstr}'"))?;
        c.batch_execute("set default_transaction_read_only = on; set statement_timeout = '2s'")?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_follow_the_text_format() {
        let mut out = String::new();
        let mut f = family(&mut out, "x_total", "counter", "Things.");
        f.sample("x_total", &[("database", "a\"b\\c\nd")], 3.0);
        f.sample("x_total", &[], 0.25);
        assert_eq!(
            out,
            "# HELP x_total Things.\n# TYPE x_total counter\nx_total{database=\"a\\\"b\\\\c\\nd\"} 3\nx_total 0.25\n"
        );
    }
}
