//! The human-readable report: a status line, then the queue and consumer tables aligned the
//! way psql aligns its output (centred headers, numbers to the right, a row count footer).

use super::check::{Level, Problem};
use super::collect::Snapshot;

/// A table cell; numbers are right-aligned.
struct Cell {
    text: String,
    right: bool,
}

fn txt(s: impl Into<String>) -> Cell {
    Cell { text: s.into(), right: false }
}

fn num(s: impl Into<String>) -> Cell {
    Cell { text: s.into(), right: true }
}

fn opt<T: ToString>(v: Option<T>) -> Cell {
    num(v.map(|v| v.to_string()).unwrap_or_default())
}

/// Seconds as a short duration: `4.2s`, `5m03s`, `2h05m`.
pub fn duration(secs: f64) -> String {
    let s = secs.max(0.0);
    if s < 60.0 {
        format!("{s:.1}s")
    } else if s < 3600.0 {
        format!("{}m{:02}s", (s / 60.0) as u64, (s as u64) % 60)
    } else {
        format!("{}h{:02}m", (s / 3600.0) as u64, (s as u64 / 60) % 60)
    }
}

/// Renders like psql's aligned format.
fn table(headers: &[&str], rows: &[Vec<Cell>]) -> String {
    let mut width: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.text.chars().count());
        }
    }
    let mut out = String::new();
    let head: Vec<String> = headers
        .iter()
        .zip(&width)
        .map(|(h, w)| {
            let pad = w - h.chars().count();
            format!("{}{h}{}", " ".repeat(pad / 2), " ".repeat(pad - pad / 2))
        })
        .collect();
    out.push_str(format!(" {}", head.join(" | ")).trim_end());
    out.push('\n');
    out.push_str(&width.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("+"));
    out.push('\n');
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&width)
            .map(|(c, w)| if c.right { format!("{:>w$}", c.text) } else { format!("{:<w$}", c.text) })
            .collect();
        out.push_str(format!(" {}", cells.join(" | ")).trim_end());
        out.push('\n');
    }
    out.push_str(&format!("({} {})\n", rows.len(), if rows.len() == 1 { "row" } else { "rows" }));
    out
}

pub fn render(snap: &Snapshot, level: Level, reason: &str, problems: &[Problem]) -> String {
    let mut out = format!("PGQ {}: {reason}\n", level.word());
    out.push_str(&format!(
        "Database: {}   Postgres version: {}   PgQ version: {}\n\n",
        snap.database, snap.server_version, snap.pgq_version
    ));
    let queues: Vec<Vec<Cell>> = snap
        .queues
        .iter()
        .map(|q| {
            let blocked = match (&q.rotation_blocked_by, q.rotation_step2_pending) {
                (_, true) => "(step 2 pending)".to_string(),
                (Some(c), false) => c.clone(),
                (None, false) => String::new(),
            };
            let mut ticker = duration(q.ticker_lag_seconds);
            if q.ticker_paused {
                ticker.push_str(" (paused)");
            } else if q.external_ticker {
                ticker.push_str(" (external)");
            }
            vec![
                txt(&q.name),
                num(ticker),
                opt(q.events_per_second.map(|e| format!("{e:.1}"))),
                num(q.new_events.to_string()),
                txt(&q.current_table),
                txt(&q.last_rotation),
                txt(format!("{}{}", q.next_rotation, if q.rotation_due { " (due)" } else { "" })),
                txt(blocked),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "queue",
            "ticker lag",
            "events/s",
            "new",
            "current table",
            "last rotation",
            "next rotation",
            "rotation blocked by",
        ],
        &queues,
    ));
    out.push('\n');
    let consumers: Vec<Vec<Cell>> = snap
        .consumers
        .iter()
        .map(|c| {
            vec![
                txt(&c.queue),
                txt(&c.name),
                num(c.lag_seconds.map(duration).unwrap_or_default()),
                num(duration(c.last_seen_seconds)),
                opt(c.pending_events),
                opt(c.last_tick_id),
                opt(c.current_batch),
            ]
        })
        .collect();
    out.push_str(&table(
        &["queue", "consumer", "lag", "last seen", "pending", "last tick", "current batch"],
        &consumers,
    ));
    for p in problems {
        out.push_str(&format!("{}: {}\n", p.level.word(), p.message));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_like_psql() {
        let t = table(&["name", "n"], &[vec![txt("abc"), num("1")], vec![txt("x"), num("100")]]);
        assert_eq!(t, " name |  n\n------+-----\n abc  |   1\n x    | 100\n(2 rows)\n");
    }

    #[test]
    fn durations_are_short() {
        assert_eq!(duration(4.25), "4.2s");
        assert_eq!(duration(303.0), "5m03s");
        assert_eq!(duration(7500.0), "2h05m");
    }
}
