//! Exactly-once consumption into another database (pgq_ext): each batch is applied in one
//! target transaction that also records the batch id there; only after that commit is the
//! batch finished on the queue database. After a crash between the two commits the batch
//! comes again, the target says it is done, and it is only finished.

use anyhow::{bail, Context, Result};
use postgres::{Client, GenericClient, Transaction};

use super::batch::{Batch, BatchInfo};
use super::consumer::Consumer;
use super::event::Event;

/// What happened to one batch.
#[derive(Debug, Clone, PartialEq)]
pub enum RemoteBatch {
    /// Applied to the target now.
    Applied(BatchInfo),
    /// Already applied by an earlier run that stopped before finishing it; only finished now.
    AlreadyApplied(BatchInfo),
}

impl RemoteBatch {
    pub fn info(&self) -> &BatchInfo {
        match self {
            RemoteBatch::Applied(i) | RemoteBatch::AlreadyApplied(i) => i,
        }
    }
}

/// True if the target already holds this consumer's batch (`pgq_ext.is_batch_done`).
pub fn is_batch_done(target: &mut impl GenericClient, consumer: &str, batch_id: i64) -> Result<bool> {
    let row = target
        .query_one("select pgq_ext.is_batch_done($1, $2)", &[&consumer, &batch_id])
        .with_context(|| format!("checking batch {batch_id} in the target"))?;
    Ok(row.get(0))
}

/// Records the batch as applied, in the target transaction that applied it.
pub fn set_batch_done(target: &mut impl GenericClient, consumer: &str, batch_id: i64) -> Result<()> {
    target
        .query_one("select pgq_ext.set_batch_done($1, $2)", &[&consumer, &batch_id])
        .with_context(|| format!("marking batch {batch_id} done in the target"))?;
    Ok(())
}

/// A consumer whose work lands in a target database, tracked there under the consumer's name.
#[derive(Debug, Clone)]
pub struct RemoteConsumer {
    pub consumer: Consumer,
}

impl RemoteConsumer {
    pub fn new(consumer: Consumer) -> RemoteConsumer {
        RemoteConsumer { consumer }
    }

    /// Processes one batch: `handler` reads events through the queue transaction (first
    /// argument) and writes through the target transaction (third). Retries are refused: they
    /// would be lost if the process stopped between the two commits.
    pub fn process_batch<F>(
        &self,
        queue_db: &mut Client,
        target_db: &mut Client,
        handler: F,
    ) -> Result<Option<RemoteBatch>>
    where
        F: FnOnce(&mut Transaction<'_>, &mut Batch, &mut Transaction<'_>) -> Result<()>,
    {
        let name = &self.consumer.name;
        // The batch id is what the target remembers, so the batch must be handed out in a
        // transaction of its own: were it rolled back with the work, a rerun would get the same
        // events under a new id and apply them twice.
        let mut src = queue_db.transaction()?;
        let batch = self.consumer.next_batch(&mut src)?;
        src.commit()?;
        let Some(mut batch) = batch else { return Ok(None) };
        let id = batch.id();
        let mut src = queue_db.transaction()?;
        let mut dst = target_db.transaction()?;
        let applied = if is_batch_done(&mut dst, name, id)? {
            false
        } else {
            handler(&mut src, &mut batch, &mut dst)?;
            if batch.retry_count() > 0 {
                bail!("batch {id}: a remote consumer cannot retry events");
            }
            set_batch_done(&mut dst, name, id)?;
            true
        };
        dst.commit().with_context(|| format!("committing batch {id} in the target"))?;
        let info = batch.info.clone();
        batch.finish(&mut src)?;
        src.commit().with_context(|| format!("finishing batch {id} on the queue database"))?;
        Ok(Some(if applied { RemoteBatch::Applied(info) } else { RemoteBatch::AlreadyApplied(info) }))
    }

    /// Processes one batch event by event; `apply` writes each event into the target.
    pub fn process_events<F>(
        &self,
        queue_db: &mut Client,
        target_db: &mut Client,
        mut apply: F,
    ) -> Result<Option<RemoteBatch>>
    where
        F: FnMut(&mut Transaction<'_>, &Event) -> Result<()>,
    {
        self.process_batch(queue_db, target_db, |src, batch, dst| {
            while let Some(ev) = batch.next_event(src)? {
                apply(dst, &ev)?;
            }
            Ok(())
        })
    }
}
