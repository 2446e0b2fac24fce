//! Cooperative consumers (pgq_coop): several subconsumers of one main consumer share its
//! stream, each taking whole batches; a subconsumer that stays silent longer than the dead
//! interval loses its open batch to the next sibling that asks.

use std::time::Duration;

use anyhow::{Context, Result};
use postgres::{Client, GenericClient, Transaction};

use super::batch::{process_one, Batch, BatchInfo, Finish, DEFAULT_FETCH_SIZE};

/// One subconsumer of a coop group.
#[derive(Debug, Clone)]
pub struct CoopConsumer {
    pub queue: String,
    /// The main consumer: the group's position in the queue.
    pub consumer: String,
    pub subconsumer: String,
    /// Take over a sibling's batch when it was last seen longer ago than this.
    pub dead_interval: Option<Duration>,
    pub fetch_size: u32,
}

impl CoopConsumer {
    pub fn new(queue: &str, consumer: &str, subconsumer: &str) -> CoopConsumer {
        CoopConsumer {
            queue: queue.into(),
            consumer: consumer.into(),
            subconsumer: subconsumer.into(),
            dead_interval: None,
            fetch_size: DEFAULT_FETCH_SIZE,
        }
    }

    pub fn with_dead_interval(mut self, d: Duration) -> CoopConsumer {
        self.dead_interval = Some(d);
        self
    }

    /// Registers the main consumer (if needed) and this subconsumer; false if it already was.
    pub fn register(&self, db: &mut impl GenericClient) -> Result<bool> {
        let n: i32 = db
            .query_one(
                "select pgq_coop.register_subconsumer($1, $2, $3)",
                &[&self.queue, &self.consumer, &self.subconsumer],
            )
            .with_context(|| format!("registering subconsumer {}.{}", self.consumer, self.subconsumer))?
            .get(0);
        Ok(n == 1)
    }

    /// Removes this subconsumer. With `drop_batch` an open batch is abandoned (its events come
    /// again to whoever the group hands them to); without it, an open batch is an error.
    pub fn unregister(&self, db: &mut impl GenericClient, drop_batch: bool) -> Result<bool> {
        let handling: i32 = if drop_batch { 1 } else { 0 };
        let n: i32 = db
            .query_one(
                "select pgq_coop.unregister_subconsumer($1, $2, $3, $4)",
                &[&self.queue, &self.consumer, &self.subconsumer, &handling],
            )
            .with_context(|| format!("unregistering subconsumer {}.{}", self.consumer, self.subconsumer))?
            .get(0);
        Ok(n == 1)
    }

    /// This subconsumer's open batch, a dead sibling's, or a new one; `None` when nothing is ready.
    /// It locks the group until the caller's transaction ends, so commit right after it (as
    /// `process_batch` does) or the siblings wait.
    pub fn next_batch(&self, db: &mut impl GenericClient) -> Result<Option<Batch>> {
        let dead = self.dead_interval.map(|d| d.as_secs_f64());
        let id: Option<i64> = db
            .query_one(
                "select pgq_coop.next_batch($1, $2, $3, $4 * interval '1 second')",
                &[&self.queue, &self.consumer, &self.subconsumer, &dead],
            )
            .with_context(|| format!("getting the next batch of {}.{}", self.consumer, self.subconsumer))?
            .get(0);
        let Some(id) = id else { return Ok(None) };
        let info = BatchInfo::load(db, id)?.with_context(|| format!("batch {id} vanished right after next_batch"))?;
        Ok(Some(Batch::new(info, self.fetch_size, Finish::Coop)))
    }

    /// Processes one batch, like `Consumer::process_batch`.
    pub fn process_batch<F>(&self, client: &mut Client, handler: F) -> Result<Option<BatchInfo>>
    where
        F: FnOnce(&mut Transaction<'_>, &mut Batch) -> Result<()>,
    {
        process_one(client, |tx| self.next_batch(tx), handler)
    }
}
