//! Turns a snapshot and the thresholds into the monitoring verdict: OK, WARNING, CRITICAL
//! (exit 0, 1, 2) with the problems behind it; UNKNOWN (3) is decided before, when the
//! database cannot be read.

use serde::Serialize;

use super::collect::Snapshot;

/// Monitoring-plugin states, in increasing severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    Ok,
    Warning,
    Critical,
    Unknown,
}

impl Level {
    pub fn exit_code(self) -> u8 {
        match self {
            Level::Ok => 0,
            Level::Warning => 1,
            Level::Critical => 2,
            Level::Unknown => 3,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Level::Ok => "OK",
            Level::Warning => "WARNING",
            Level::Critical => "CRITICAL",
            Level::Unknown => "UNKNOWN",
        }
    }
}

/// Limits in seconds; a value above a limit raises that level.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Thresholds {
    pub warn_lag: Option<f64>,
    pub crit_lag: Option<f64>,
    pub warn_last_seen: Option<f64>,
    pub crit_last_seen: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    pub level: Level,
    pub queue: String,
    pub consumer: String,
    pub message: String,
}

fn grade(value: f64, warn: Option<f64>, crit: Option<f64>) -> Option<(Level, f64)> {
    match (crit, warn) {
        (Some(c), _) if value > c => Some((Level::Critical, c)),
        (_, Some(w)) if value > w => Some((Level::Warning, w)),
        _ => None,
    }
}

/// Every consumer past a threshold, worst first.
pub fn evaluate(snap: &Snapshot, t: &Thresholds) -> Vec<Problem> {
    let mut out = Vec::new();
    for c in &snap.consumers {
        let mut add = |level, what: &str, value: f64, limit: f64| {
            out.push(Problem {
                level,
                queue: c.queue.clone(),
                consumer: c.name.clone(),
                message: format!("{}/{} {what} {value:.0}s > {limit:.0}s", c.queue, c.name),
            })
        };
        if let Some(lag) = c.lag_seconds {
            if let Some((level, limit)) = grade(lag, t.warn_lag, t.crit_lag) {
                add(level, "lag", lag, limit);
            }
        }
        if let Some((level, limit)) = grade(c.last_seen_seconds, t.warn_last_seen, t.crit_last_seen) {
            add(level, "last seen", c.last_seen_seconds, limit);
        }
    }
    out.sort_by_key(|p| std::cmp::Reverse(p.level));
    out
}

/// The overall level and the one-line reason.
pub fn verdict(snap: &Snapshot, problems: &[Problem]) -> (Level, String) {
    let level = problems.iter().map(|p| p.level).max().unwrap_or(Level::Ok);
    let reason = if problems.is_empty() {
        format!("{} queues, {} consumers", snap.queues.len(), snap.consumers.len())
    } else {
        problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; ")
    };
    (level, reason)
}
