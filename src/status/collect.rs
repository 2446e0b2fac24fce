//! Reads everything `status` reports from one database: server and pgq versions, every queue
//! (ticker, throughput, tables, rotation and what holds it back) and every consumer. The
//! structs are the `--json` document; their field names are a documented interface
//! (doc/status.md), so renaming one is a breaking change.

use std::time::SystemTime;

use anyhow::{Context, Result};
use postgres::GenericClient;
use serde::Serialize;

use crate::pgq::admin;

#[derive(Debug, Clone, Serialize)]
pub struct QueueStatus {
    pub name: String,
    pub ticker_lag_seconds: f64,
    pub events_per_second: Option<f64>,
    pub new_events: i64,
    pub last_tick_id: i64,
    pub ticker_paused: bool,
    pub external_ticker: bool,
    /// The event table receiving inserts now, e.g. `pgq.event_1_0`.
    pub current_table: String,
    pub tables: i32,
    pub rotation_period_seconds: f64,
    /// When the current table became current (RFC 3339, UTC).
    pub last_rotation: String,
    /// When the next rotation becomes allowed by the rotation period.
    pub next_rotation: String,
    pub rotation_due: bool,
    /// The consumer whose position still needs the oldest table, so rotation must wait for
    /// it (`null` when nobody does).
    pub rotation_blocked_by: Option<String>,
    /// The previous rotation still waits for its second step (run by the maintenance daemon).
    pub rotation_step2_pending: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConsumerStatus {
    pub queue: String,
    pub name: String,
    /// Seconds between now and the consumer's position; `null` for idle coop subconsumers.
    pub lag_seconds: Option<f64>,
    pub last_seen_seconds: f64,
    pub pending_events: Option<i64>,
    pub last_tick_id: Option<i64>,
    pub current_batch: Option<i64>,
    pub next_tick_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub database: String,
    pub server_version: String,
    pub pgq_version: String,
    pub checked_at: String,
    pub queues: Vec<QueueStatus>,
    pub consumers: Vec<ConsumerStatus>,
}

/// Why there is nothing to inspect: no pgq, or no such queue (monitoring's UNKNOWN).
#[derive(Debug)]
pub struct NoPgq(pub String);

impl std::fmt::Display for NoPgq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NoPgq {}

pub fn rfc3339(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Rotation facts `get_queue_info` does not give: the current table's name, the next allowed
/// rotation, and the slowest consumer if its start tick predates the previous rotation's
/// second step (the rule rotation step 1 applies).
const ROTATION_SQL: &str = "\
select q.queue_name, q.queue_data_pfx || '_' || q.queue_cur_table,
       q.queue_switch_time + q.queue_rotation_period,
       q.queue_switch_time + q.queue_rotation_period <= now(),
       q.queue_switch_step2 is null,
       (select co.co_name
          from pgq.subscription s
          join pgq.consumer co on co.co_id = s.sub_consumer
          join pgq.tick t on t.tick_queue = s.sub_queue and t.tick_id = s.sub_last_tick
         where s.sub_queue = q.queue_id
           and txid_snapshot_xmin(t.tick_snapshot) <= q.queue_switch_step2
         order by s.sub_last_tick, co.co_name
         limit 1)
  from pgq.queue q";

struct Rotation {
    current_table: String,
    next: SystemTime,
    due: bool,
    step2_pending: bool,
    blocked_by: Option<String>,
}

pub fn collect(db: &mut impl GenericClient, queue: Option<&str>) -> Result<Snapshot> {
    let has_pgq: bool = db
        .query_one("select exists (select 1 from pg_namespace where nspname = 'pgq')", &[])
        .context("checking for pgq")?
        .get(0);
    let row = db.query_one("select current_database()::text, current_setting('server_version'), now()", &[])?;
    let database: String = row.get(0);
    if !has_pgq {
        return Err(NoPgq(format!("pgq is not installed in database {database}")).into());
    }
    let pgq_version: Option<String> = db.query_one("select pgq.version()", &[])?.get(0);
    let mut rotation = std::collections::HashMap::new();
    for r in db.query(ROTATION_SQL, &[]).context("reading queue rotation state")? {
        let name: String = r.get(0);
        let facts = Rotation {
            current_table: r.get(1),
            next: r.get(2),
            due: r.get(3),
            step2_pending: r.get(4),
            blocked_by: r.get(5),
        };
        rotation.insert(name, facts);
    }
    let mut queues = Vec::new();
    for q in admin::queue_info(db, queue)? {
        // A queue created between the two reads is left for the next run.
        let Some(rot) = rotation.remove(&q.queue_name) else { continue };
        queues.push(QueueStatus {
            ticker_lag_seconds: q.ticker_lag,
            events_per_second: q.ev_per_sec,
            new_events: q.ev_new,
            last_tick_id: q.last_tick_id,
            ticker_paused: q.ticker_paused,
            external_ticker: q.external_ticker,
            current_table: rot.current_table,
            tables: q.ntables,
            rotation_period_seconds: q.rotation_period,
            last_rotation: rfc3339(q.switch_time),
            next_rotation: rfc3339(rot.next),
            rotation_due: rot.due,
            rotation_blocked_by: rot.blocked_by,
            rotation_step2_pending: rot.step2_pending,
            name: q.queue_name,
        });
    }
    if let (Some(q), true) = (queue, queues.is_empty()) {
        return Err(NoPgq(format!("queue {q} does not exist in database {database}")).into());
    }
    let consumers = admin::consumer_info(db, queue, None)?
        .into_iter()
        .map(|c| ConsumerStatus {
            queue: c.queue_name,
            name: c.consumer_name,
            lag_seconds: c.lag,
            last_seen_seconds: c.last_seen,
            pending_events: c.pending_events,
            last_tick_id: c.last_tick,
            current_batch: c.current_batch,
            next_tick_id: c.next_tick,
        })
        .collect();
    Ok(Snapshot {
        database,
        server_version: row.get(1),
        pgq_version: pgq_version.unwrap_or_else(|| "?".into()),
        checked_at: rfc3339(row.get(2)),
        queues,
        consumers,
    })
}
