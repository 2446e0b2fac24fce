//! Queue and consumer administration: create, configure and drop queues, register and
//! unregister consumers, and read `pgq.get_queue_info` / `pgq.get_consumer_info` as typed rows.

use std::time::SystemTime;

use anyhow::{Context, Result};
use postgres::GenericClient;

/// Creates a queue; false if it already existed.
pub fn create_queue(db: &mut impl GenericClient, queue: &str) -> Result<bool> {
    let n: i32 = db
        .query_one("select pgq.create_queue($1)", &[&queue])
        .with_context(|| format!("creating queue {queue}"))?
        .get(0);
    Ok(n == 1)
}

/// Drops a queue with its event tables. Without `force` it refuses while consumers are
/// registered; with it, they are unregistered first.
pub fn drop_queue(db: &mut impl GenericClient, queue: &str, force: bool) -> Result<()> {
    db.query_one("select pgq.drop_queue($1, $2)", &[&queue, &force])
        .with_context(|| format!("dropping queue {queue}"))?;
    Ok(())
}

/// Sets one queue parameter, named without the `queue_` prefix (`ticker_max_lag`,
/// `rotation_period`, ...); the server casts the text value.
pub fn set_queue_config(db: &mut impl GenericClient, queue: &str, param: &str, value: &str) -> Result<()> {
    db.query_one("select pgq.set_queue_config($1, $2, $3)", &[&queue, &param, &value])
        .with_context(|| format!("setting {param} on queue {queue}"))?;
    Ok(())
}

/// Subscribes a consumer at the queue's newest tick; false if it was already registered.
pub fn register_consumer(db: &mut impl GenericClient, queue: &str, consumer: &str) -> Result<bool> {
    let n: i32 = db
        .query_one("select pgq.register_consumer($1, $2)", &[&queue, &consumer])
        .with_context(|| format!("registering consumer {consumer} on queue {queue}"))?
        .get(0);
    Ok(n == 1)
}

/// Subscribes a consumer at a given tick, or moves an existing one there (dropping its open
/// batch); false if it was already registered.
pub fn register_consumer_at(db: &mut impl GenericClient, queue: &str, consumer: &str, tick_id: i64) -> Result<bool> {
    let n: i32 = db
        .query_one("select pgq.register_consumer_at($1, $2, $3)", &[&queue, &consumer, &tick_id])
        .with_context(|| format!("registering consumer {consumer} on queue {queue} at tick {tick_id}"))?
        .get(0);
    Ok(n == 1)
}

/// Removes a subscription and its pending retries; false if it was not registered.
pub fn unregister_consumer(db: &mut impl GenericClient, queue: &str, consumer: &str) -> Result<bool> {
    let n: i32 = db
        .query_one("select pgq.unregister_consumer($1, $2)", &[&queue, &consumer])
        .with_context(|| format!("unregistering consumer {consumer} from queue {queue}"))?
        .get(0);
    Ok(n > 0)
}

/// Runs the ticker once for one queue (or, with `None`, for every queue) and returns the new
/// tick id (or the number of queues ticked). pgqd does this in production; tests and tools
/// that cannot wait for it call this.
pub fn ticker(db: &mut impl GenericClient, queue: Option<&str>) -> Result<Option<i64>> {
    let row = match queue {
        Some(q) => db.query_one("select pgq.ticker($1)", &[&q]),
        None => db.query_one("select pgq.ticker()", &[]),
    }
    .context("running the ticker")?;
    Ok(row.get(0))
}

/// One row of `pgq.get_queue_info`; intervals are in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueInfo {
    pub queue_name: String,
    pub ntables: i32,
    pub cur_table: i32,
    pub rotation_period: f64,
    pub switch_time: SystemTime,
    pub external_ticker: bool,
    pub ticker_paused: bool,
    pub ticker_max_count: i32,
    pub ticker_max_lag: f64,
    pub ticker_idle_period: f64,
    /// Seconds since the newest tick.
    pub ticker_lag: f64,
    /// Events per second over the last ticks; `None` when they span no time.
    pub ev_per_sec: Option<f64>,
    /// Events inserted since the newest tick (approximate: sequence values leak).
    pub ev_new: i64,
    pub last_tick_id: i64,
}

const QUEUE_INFO_COLUMNS: &str = "queue_name, queue_ntables, queue_cur_table, \
     extract(epoch from queue_rotation_period)::float8, queue_switch_time, queue_external_ticker, \
     queue_ticker_paused, queue_ticker_max_count, extract(epoch from queue_ticker_max_lag)::float8, \
     extract(epoch from queue_ticker_idle_period)::float8, extract(epoch from ticker_lag)::float8, \
     ev_per_sec, ev_new, last_tick_id";

/// Every queue, or only `queue` (empty when it does not exist), ordered by name.
pub fn queue_info(db: &mut impl GenericClient, queue: Option<&str>) -> Result<Vec<QueueInfo>> {
    let rows = match queue {
        Some(q) => db.query(&format!("select {QUEUE_INFO_COLUMNS} from pgq.get_queue_info($1)"), &[&q]),
        None => db.query(&format!("select {QUEUE_INFO_COLUMNS} from pgq.get_queue_info()"), &[]),
    }
    .context("reading pgq.get_queue_info")?;
    Ok(rows
        .iter()
        .map(|r| QueueInfo {
            queue_name: r.get(0),
            ntables: r.get(1),
            cur_table: r.get(2),
            rotation_period: r.get(3),
            switch_time: r.get(4),
            external_ticker: r.get(5),
            ticker_paused: r.get(6),
            ticker_max_count: r.get(7),
            ticker_max_lag: r.get(8),
            ticker_idle_period: r.get(9),
            ticker_lag: r.get::<_, Option<f64>>(10).unwrap_or(0.0),
            ev_per_sec: r.get(11),
            ev_new: r.get::<_, Option<i64>>(12).unwrap_or(0),
            last_tick_id: r.get::<_, Option<i64>>(13).unwrap_or(0),
        })
        .collect())
}

/// One row of `pgq.get_consumer_info`; intervals are in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerInfo {
    pub queue_name: String,
    /// Coop subconsumers appear as `main.sub`.
    pub consumer_name: String,
    /// Seconds between now and the consumer's position; `None` for idle coop subconsumers.
    pub lag: Option<f64>,
    /// Seconds since the consumer last asked for or finished a batch.
    pub last_seen: f64,
    pub last_tick: Option<i64>,
    pub current_batch: Option<i64>,
    pub next_tick: Option<i64>,
    /// Events between the consumer's position and the newest tick (approximate).
    pub pending_events: Option<i64>,
}

const CONSUMER_INFO_COLUMNS: &str = "queue_name, consumer_name, extract(epoch from lag)::float8, \
     extract(epoch from last_seen)::float8, last_tick, current_batch, next_tick, pending_events";

/// Consumers of every queue, of one queue, or one consumer, ordered by queue and name.
pub fn consumer_info(
    db: &mut impl GenericClient,
    queue: Option<&str>,
    consumer: Option<&str>,
) -> Result<Vec<ConsumerInfo>> {
    let rows = db
        .query(&format!("select {CONSUMER_INFO_COLUMNS} from pgq.get_consumer_info($1, $2)"), &[&queue, &consumer])
        .context("reading pgq.get_consumer_info")?;
    Ok(rows
        .iter()
        .map(|r| ConsumerInfo {
            queue_name: r.get(0),
            consumer_name: r.get(1),
            lag: r.get(2),
            last_seen: r.get::<_, Option<f64>>(3).unwrap_or(0.0),
            last_tick: r.get(4),
            current_batch: r.get(5),
            next_tick: r.get(6),
            pending_events: r.get(7),
        })
        .collect())
}
