//! One event as a consumer sees it: the ten columns of `pgq.get_batch_events` /
//! `pgq.get_batch_cursor`, read from a row whose columns come in that order.

use std::fmt;
use std::time::SystemTime;

use postgres::Row;

/// The column list every event query selects, in the order `Event::from_row` reads it.
pub(crate) const EVENT_COLUMNS: &str =
    "ev_id, ev_time, ev_txid, ev_retry, ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, ev_extra4";

/// An event of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Id from the queue's event sequence; unique within the queue.
    pub id: i64,
    /// Creation time, kept when the event is retried.
    pub time: SystemTime,
    /// Transaction that inserted (or re-inserted) the event.
    pub txid: i64,
    /// How many times it was retried; `None` for a fresh event.
    pub retry: Option<i32>,
    pub ev_type: Option<String>,
    pub data: Option<String>,
    pub extra1: Option<String>,
    pub extra2: Option<String>,
    pub extra3: Option<String>,
    pub extra4: Option<String>,
}

impl Event {
    /// Reads the row by position: faster than by name, and our queries fix the order.
    pub(crate) fn from_row(row: &Row) -> Event {
        Event {
            id: row.get(0),
            time: row.get(1),
            txid: row.get(2),
            retry: row.get(3),
            ev_type: row.get(4),
            data: row.get(5),
            extra1: row.get(6),
            extra2: row.get(7),
            extra3: row.get(8),
            extra4: row.get(9),
        }
    }
}

/// The same shape as the original library's event display, handy in logs.
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |v: &Option<String>| v.clone().unwrap_or_else(|| "None".into());
        write!(
            f,
            "<id={} type={} data={} e1={} e2={} e3={} e4={}>",
            self.id,
            s(&self.ev_type),
            s(&self.data),
            s(&self.extra1),
            s(&self.extra2),
            s(&self.extra3),
            s(&self.extra4)
        )
    }
}
