//! The consumer protocol: register once, then per batch: get the next batch (committed), walk
//! its events, tag retries, finish, commit. A crash before that commit hands the same batch
//! out again, so processing is at-least-once (see `remote` for exactly-once).

use std::time::Duration;

use anyhow::{Context, Result};
use postgres::{Client, GenericClient, Transaction};

use super::admin;
use super::batch::{process_one, Batch, BatchInfo, Finish, DEFAULT_FETCH_SIZE};
use super::event::Event;

/// When a batch is worth taking (`pgq.next_batch_custom`); all `None` = as soon as a tick exists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchLimits {
    /// Take only batches whose end tick is at least this old (`pgq_keep_lag`).
    pub min_lag: Option<Duration>,
    /// Grow batches until they hold about this many events...
    pub min_count: Option<i32>,
    /// ...or span this long.
    pub min_interval: Option<Duration>,
}

/// What the per-event handler decided.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EventStatus {
    Done,
    /// Hand the event back to this consumer in a later batch, after this long.
    Retry(Duration),
}

/// What one processed batch amounted to.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchSummary {
    pub info: BatchInfo,
    pub events: u64,
    pub retried: u64,
}

/// A consumer of one queue under one name.
///
/// ```no_run
/// use skytools::pgq::{Consumer, EventStatus};
///
/// let mut client = postgres::Client::connect("host=/tmp dbname=app", postgres::NoTls)?;
/// let consumer = Consumer::new("orders", "mailer");
/// consumer.register(&mut client)?;
/// // One batch per call, in its own transaction; None when nothing is ready.
/// while let Some(done) = consumer.process_events(&mut client, |tx, ev| {
///     tx.execute("insert into outbox (body) values ($1)", &[&ev.data])?;
///     Ok(EventStatus::Done)
/// })? {
///     println!("batch {}: {} events", done.info.batch_id, done.events);
/// }
/// # Ok::<(), anyhow::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Consumer {
    pub queue: String,
    pub name: String,
    /// Events per cursor fetch; bounds the memory a batch takes.
    pub fetch_size: u32,
    pub limits: BatchLimits,
}

impl Consumer {
    pub fn new(queue: &str, name: &str) -> Consumer {
        Consumer {
            queue: queue.into(),
            name: name.into(),
            fetch_size: DEFAULT_FETCH_SIZE,
            limits: BatchLimits::default(),
        }
    }

    pub fn with_fetch_size(mut self, n: u32) -> Consumer {
        self.fetch_size = n;
        self
    }

    pub fn with_limits(mut self, limits: BatchLimits) -> Consumer {
        self.limits = limits;
        self
    }

    /// Subscribes at the newest tick; false if already registered.
    pub fn register(&self, db: &mut impl GenericClient) -> Result<bool> {
        admin::register_consumer(db, &self.queue, &self.name)
    }

    pub fn unregister(&self, db: &mut impl GenericClient) -> Result<bool> {
        admin::unregister_consumer(db, &self.queue, &self.name)
    }

    /// The open batch or a new one; `None` when no tick is ready. Until `finish_batch` commits,
    /// every call returns the same batch.
    pub fn next_batch(&self, db: &mut impl GenericClient) -> Result<Option<Batch>> {
        let secs = |d: Option<Duration>| d.map(|d| d.as_secs_f64());
        let row = db
            .query_one(
                "select * from pgq.next_batch_custom($1, $2, $3 * interval '1 second', $4, \
                 $5 * interval '1 second')",
                &[
                    &self.queue,
                    &self.name,
                    &secs(self.limits.min_lag),
                    &self.limits.min_count,
                    &secs(self.limits.min_interval),
                ],
            )
            .with_context(|| format!("getting the next batch of {} on queue {}", self.name, self.queue))?;
        Ok(BatchInfo::from_next_batch_row(&row).map(|info| Batch::new(info, self.fetch_size, Finish::Pgq)))
    }

    /// Processes one batch with a handler that sees the whole batch: the batch is handed out
    /// and committed, then read, handled and finished in one transaction. Returns the batch, or
    /// `None` when there was none. A handler error rolls its work back and the batch comes again.
    pub fn process_batch<F>(&self, client: &mut Client, handler: F) -> Result<Option<BatchInfo>>
    where
        F: FnOnce(&mut Transaction<'_>, &mut Batch) -> Result<()>,
    {
        process_one(client, |tx| self.next_batch(tx), handler)
    }

    /// Processes one batch event by event; the handler works in the batch's transaction.
    pub fn process_events<F>(&self, client: &mut Client, mut handler: F) -> Result<Option<BatchSummary>>
    where
        F: FnMut(&mut Transaction<'_>, &Event) -> Result<EventStatus>,
    {
        let (mut events, mut retried) = (0, 0);
        let info = self.process_batch(client, |tx, batch| {
            while let Some(ev) = batch.next_event(tx)? {
                events += 1;
                if let EventStatus::Retry(after) = handler(tx, &ev)? {
                    batch.retry(&ev, after);
                    retried += 1;
                }
            }
            Ok(())
        })?;
        Ok(info.map(|info| BatchSummary { info, events, retried }))
    }
}
