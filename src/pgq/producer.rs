//! Producing events inside the caller's transaction: one at a time through `pgq.insert_event`,
//! or many at once by COPY into the queue's current event table (ids from the queue's event
//! sequence through the column default, txid by default), which is several times faster.

use std::borrow::Borrow;
use std::io::Write;

use anyhow::{Context, Result};
use postgres::GenericClient;

use crate::script::quoting::quote_fqident;

/// The payload of an event to insert.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewEvent {
    pub ev_type: Option<String>,
    pub data: Option<String>,
    pub extra1: Option<String>,
    pub extra2: Option<String>,
    pub extra3: Option<String>,
    pub extra4: Option<String>,
}

impl NewEvent {
    pub fn new(ev_type: &str, data: &str) -> NewEvent {
        NewEvent { ev_type: Some(ev_type.into()), data: Some(data.into()), ..NewEvent::default() }
    }
}

/// Inserts one event and returns its id. It becomes visible to consumers when the caller's
/// transaction commits (and a tick follows).
pub fn insert_event(db: &mut impl GenericClient, queue: &str, ev: &NewEvent) -> Result<i64> {
    let row = db
        .query_one(
            "select pgq.insert_event($1, $2, $3, $4, $5, $6, $7)",
            &[&queue, &ev.ev_type, &ev.data, &ev.extra1, &ev.extra2, &ev.extra3, &ev.extra4],
        )
        .with_context(|| format!("inserting an event into queue {queue}"))?;
    Ok(row.get(0))
}

/// Inserts many events with one COPY and returns how many. Runs in a savepoint of the caller's
/// transaction (or a transaction of its own), because the current table is only valid inside
/// the transaction that asked for it: a rotation may switch tables right after.
pub fn insert_events_bulk<E: Borrow<NewEvent>>(
    db: &mut impl GenericClient,
    queue: &str,
    events: impl IntoIterator<Item = E>,
) -> Result<u64> {
    let mut tx = db.transaction()?;
    let row = tx
        .query_one("select pgq.current_event_table($1), now()::text", &[&queue])
        .with_context(|| format!("finding the current event table of queue {queue}"))?;
    let table: String = row.get(0);
    let now: String = row.get(1);
    let sql = format!(
        "copy {} (ev_time, ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, ev_extra4) from stdin",
        quote_fqident(&table)
    );
    let mut writer = std::io::BufWriter::with_capacity(256 * 1024, tx.copy_in(sql.as_str())?);
    let mut line = String::new();
    let mut n = 0u64;
    for ev in events {
        let ev = ev.borrow();
        line.clear();
        line.push_str(&now);
        for field in [&ev.ev_type, &ev.data, &ev.extra1, &ev.extra2, &ev.extra3, &ev.extra4] {
            line.push('\t');
            push_copy_field(&mut line, field.as_deref());
        }
        line.push('\n');
        writer.write_all(line.as_bytes())?;
        n += 1;
    }
    let writer = writer.into_inner().map_err(|e| e.into_error())?;
    writer.finish().with_context(|| format!("copying events into {table}"))?;
    tx.commit()?;
    Ok(n)
}

/// One value in COPY text format: `\N` for NULL, backslash escapes for the characters that
/// would end a field or a row.
fn push_copy_field(out: &mut String, value: Option<&str>) {
    let Some(v) = value else {
        out.push_str("\\N");
        return;
    };
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::push_copy_field;

    #[test]
    fn copy_fields_escape_separators_and_null() {
        let mut s = String::new();
        push_copy_field(&mut s, Some("a\tb\nc\\d\re"));
        assert_eq!(s, "a\\tb\\nc\\\\d\\re");
        s.clear();
        push_copy_field(&mut s, None);
        assert_eq!(s, "\\N");
    }
}
