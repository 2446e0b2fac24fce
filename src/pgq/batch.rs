//! One batch from the moment it is handed out until it is finished: its tick boundaries, its
//! events read through a server-side cursor in fixed-size chunks (so a huge batch never sits
//! in memory), events tagged for retry, and closing it with the right `finish_batch`.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use postgres::{Client, GenericClient, Row, Statement, Transaction};

use super::event::{Event, EVENT_COLUMNS};

/// Events fetched per round trip unless told otherwise (the original library's default).
pub const DEFAULT_FETCH_SIZE: u32 = 300;

/// What `next_batch` handed out: the batch id and the two ticks that bound it.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchInfo {
    pub batch_id: i64,
    /// The tick that ends the batch.
    pub cur_tick_id: i64,
    /// The tick the batch starts after (the consumer's position).
    pub prev_tick_id: i64,
    pub cur_tick_time: SystemTime,
    pub prev_tick_time: SystemTime,
    /// Event sequence at the ticks: a size hint only, never a reason to skip a batch.
    pub cur_tick_event_seq: i64,
    pub prev_tick_event_seq: i64,
}

impl BatchInfo {
    /// Reads a `next_batch_custom`-shaped row; `None` when there is no batch.
    pub(crate) fn from_next_batch_row(row: &Row) -> Option<BatchInfo> {
        let batch_id: Option<i64> = row.get("batch_id");
        Some(BatchInfo {
            batch_id: batch_id?,
            cur_tick_id: row.get("cur_tick_id"),
            prev_tick_id: row.get("prev_tick_id"),
            cur_tick_time: row.get("cur_tick_time"),
            prev_tick_time: row.get("prev_tick_time"),
            cur_tick_event_seq: row.get("cur_tick_event_seq"),
            prev_tick_event_seq: row.get("prev_tick_event_seq"),
        })
    }

    /// Looks up an open batch by id (`pgq.get_batch_info`), as coop consumers must: their
    /// `next_batch` returns only the id.
    pub fn load(db: &mut impl GenericClient, batch_id: i64) -> Result<Option<BatchInfo>> {
        let row = db
            .query_one(
                "select tick_id, prev_tick_id, batch_end, batch_start, seq_end, seq_start \
                 from pgq.get_batch_info($1)",
                &[&batch_id],
            )
            .with_context(|| format!("reading batch {batch_id}"))?;
        let cur_tick_id: Option<i64> = row.get(0);
        Ok(cur_tick_id.map(|cur_tick_id| BatchInfo {
            batch_id,
            cur_tick_id,
            prev_tick_id: row.get(1),
            cur_tick_time: row.get(2),
            prev_tick_time: row.get(3),
            cur_tick_event_seq: row.get(4),
            prev_tick_event_seq: row.get(5),
        }))
    }
}

/// How a batch is closed: plain consumers and coop subconsumers finish through different
/// functions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Finish {
    Pgq,
    Coop,
}

#[derive(Debug, PartialEq)]
enum CursorState {
    NotOpened,
    Open,
    Exhausted,
}

/// An open batch. Read events with `next_event`, tag some with `retry`, then `finish` — all on
/// the connection (and inside the transaction) that got the batch.
pub struct Batch {
    pub info: BatchInfo,
    fetch_size: u32,
    cursor_name: String,
    /// `FETCH n FROM <cursor>`, prepared once per batch: a plain `query` would parse it again
    /// for every chunk, one more round trip each time.
    fetch: Option<Statement>,
    state: CursorState,
    buffered: VecDeque<Event>,
    retries: Vec<(i64, i32)>,
    finish: Finish,
}

impl Batch {
    pub(crate) fn new(info: BatchInfo, fetch_size: u32, finish: Finish) -> Batch {
        let cursor_name = format!("pgq_batch_{}", info.batch_id);
        Batch {
            info,
            fetch_size: fetch_size.max(1),
            cursor_name,
            fetch: None,
            state: CursorState::NotOpened,
            buffered: VecDeque::new(),
            retries: Vec::new(),
            finish,
        }
    }

    pub fn id(&self) -> i64 {
        self.info.batch_id
    }

    /// The next event in id order, or `None` at the end. Fetches `fetch_size` events per round
    /// trip through a cursor that lives until the transaction ends.
    pub fn next_event(&mut self, db: &mut impl GenericClient) -> Result<Option<Event>> {
        if self.buffered.is_empty() {
            self.fill(db)?;
        }
        Ok(self.buffered.pop_front())
    }

    /// The rest of the batch's events as one vector (fine for small batches; large ones
    /// should be walked with `next_event`).
    pub fn remaining_events(&mut self, db: &mut impl GenericClient) -> Result<Vec<Event>> {
        let mut out = Vec::new();
        while let Some(ev) = self.next_event(db)? {
            out.push(ev);
        }
        Ok(out)
    }

    fn fill(&mut self, db: &mut impl GenericClient) -> Result<()> {
        let limit = self.fetch_size as i32;
        let rows = match self.state {
            CursorState::Exhausted => return Ok(()),
            CursorState::NotOpened => {
                self.state = CursorState::Open;
                db.query(
                    &format!("select {EVENT_COLUMNS} from pgq.get_batch_cursor($1, $2, $3, null)"),
                    &[&self.info.batch_id, &self.cursor_name, &limit],
                )
                .with_context(|| format!("opening the event cursor of batch {}", self.info.batch_id))?
            }
            CursorState::Open => {
                let fetch = match &self.fetch {
                    Some(f) => f.clone(),
                    // The cursor name is ours and plain (`pgq_batch_<id>`), so no quoting is needed.
                    None => self.fetch.insert(db.prepare(&format!("fetch {limit} from {}", self.cursor_name))?).clone(),
                };
                db.query(&fetch, &[]).with_context(|| format!("fetching events of batch {}", self.info.batch_id))?
            }
        };
        if rows.len() < limit as usize {
            db.batch_execute(&format!("close {}", self.cursor_name))
                .with_context(|| format!("closing the event cursor of batch {}", self.info.batch_id))?;
            self.state = CursorState::Exhausted;
        }
        self.buffered.extend(rows.iter().map(Event::from_row));
        Ok(())
    }

    /// Puts the event back into the queue for this consumer only, due after `after` (whole
    /// seconds). Happens when the batch is finished, in the same transaction.
    pub fn retry(&mut self, event: &Event, after: Duration) {
        self.retries.push((event.id, after.as_secs().min(i32::MAX as u64) as i32));
    }

    /// Events tagged for retry so far.
    pub fn retry_count(&self) -> usize {
        self.retries.len()
    }

    /// Writes the retries, closes the cursor if still open and finishes the batch. The caller
    /// commits; until then a crash hands out the same batch again.
    pub fn finish(mut self, db: &mut impl GenericClient) -> Result<()> {
        let batch_id = self.info.batch_id;
        for (ev_id, secs) in std::mem::take(&mut self.retries) {
            db.query_one("select pgq.event_retry($1, $2, $3::int4)", &[&batch_id, &ev_id, &secs])
                .with_context(|| format!("retrying event {ev_id} of batch {batch_id}"))?;
        }
        if self.state == CursorState::Open {
            db.batch_execute(&format!("close {}", self.cursor_name))
                .with_context(|| format!("closing the event cursor of batch {batch_id}"))?;
        }
        let sql = match self.finish {
            Finish::Pgq => "select pgq.finish_batch($1)",
            Finish::Coop => "select pgq_coop.finish_batch($1)",
        };
        db.query_one(sql, &[&batch_id]).with_context(|| format!("finishing batch {batch_id}"))?;
        Ok(())
    }
}

/// One batch: get it with `next` and commit that at once, then let `handler` work on it,
/// finish and commit in a second transaction. `None` when there was no batch. An error rolls
/// the second transaction back; the batch stays handed out and comes again, same id.
///
/// Committing the hand-out first is what the original consumers do, and it matters: pgq_coop
/// locks the group while handing out a batch, and exactly-once targets remember batch ids.
pub(crate) fn process_one<N, F>(client: &mut Client, next: N, handler: F) -> Result<Option<BatchInfo>>
where
    N: FnOnce(&mut Transaction<'_>) -> Result<Option<Batch>>,
    F: FnOnce(&mut Transaction<'_>, &mut Batch) -> Result<()>,
{
    let mut tx = client.transaction()?;
    let batch = next(&mut tx)?;
    tx.commit()?;
    let Some(mut batch) = batch else { return Ok(None) };
    let mut tx = client.transaction()?;
    handler(&mut tx, &mut batch)?;
    let info = batch.info.clone();
    batch.finish(&mut tx)?;
    tx.commit().with_context(|| format!("committing batch {}", info.batch_id))?;
    Ok(Some(info))
}
