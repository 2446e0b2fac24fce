//! The ticker of one database, a task on pgqd's single ticker thread: check that pgq is there
//! and new enough, then tick every ticker_period on one kept connection (re-opened after
//! connection_lifetime), and start the maintenance task once the first tick worked.
//! All databases tick on the same clock (multiples of ticker_period), so one wake-up of the
//! thread serves every database: that is what keeps pgqd's CPU use low with many databases.

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Result;
use postgres::error::SqlState;
use tokio_postgres::{Client, Statement};

use super::failures::Failures;
use super::worker::DbCtx;
use crate::script::db::anyhow_text;

struct Conn {
    client: Client,
    ticker: Statement,
    opened: Instant,
}

enum Step {
    Ticked,
    /// No usable pgq here: look again after check_period.
    NoPgq,
}

enum Fail {
    /// Could not open a connection (server down, database gone, auth).
    Connect(anyhow::Error),
    Query(anyhow::Error),
}

pub async fn run(ctx: Arc<DbCtx>) {
    log::debug!("[{}]: launching ticker", ctx.label);
    let mut conn: Option<Conn> = None;
    let mut failures = Failures::default();
    let mut maint: Option<tokio::task::JoinHandle<()>> = None;
    let mut version: Option<String> = None;
    while !ctx.stop.is_stopped() {
        let s = ctx.shared.settings();
        let started = Instant::now();
        if conn.as_ref().is_some_and(|c| c.opened.elapsed() >= s.connection_lifetime) {
            log::debug!("[{}]: connection_lifetime reached, reconnecting", ctx.label);
            conn = None;
        }
        let wake_at = match step(&ctx, &mut conn, &mut version).await {
            Ok(Step::Ticked) => {
                failures.recovered(&ctx.label);
                ctx.state.up.store(true, Ordering::Relaxed);
                ctx.state.has_pgq.store(true, Ordering::Relaxed);
                ctx.shared.stats.tick(&ctx.state);
                if maint.is_none() {
                    maint = Some(tokio::spawn(super::maint::run(ctx.clone())));
                }
                next_slot(started, s.ticker_period)
            }
            Ok(Step::NoPgq) => {
                conn = None;
                ctx.state.up.store(true, Ordering::Relaxed);
                ctx.state.has_pgq.store(false, Ordering::Relaxed);
                Instant::now() + s.check_period
            }
            Err(fail) => {
                conn = None;
                version = None;
                ctx.state.up.store(false, Ordering::Relaxed);
                ctx.state.errors.fetch_add(1, Ordering::Relaxed);
                let (what, e, connecting) = match &fail {
                    Fail::Connect(e) => ("connection failed", e, true),
                    Fail::Query(e) => ("ticker failed", e, false),
                };
                let text = anyhow_text(e);
                let pause = failures.failed(&ctx.label, what, &text);
                // A dropped database is the discovery's business (it lets go of the worker at
                // the next check), not a reason to stop serving every other database.
                let gone = e.chain().any(|c| {
                    c.downcast_ref::<tokio_postgres::Error>().and_then(|p| p.code())
                        == Some(&SqlState::INVALID_CATALOG_NAME)
                });
                if connecting
                    && !gone
                    && s.max_reconnect_failures > 0
                    && failures.consecutive() >= s.max_reconnect_failures
                {
                    ctx.shared.give_up(format!(
                        "[{}]: giving up after {} failed connection attempts: {text}",
                        ctx.label,
                        failures.consecutive()
                    ));
                    break;
                }
                Instant::now() + pause
            }
        };
        if ctx.stop.sleep_until(wake_at).await {
            break;
        }
    }
    ctx.state.up.store(false, Ordering::Relaxed);
    if let Some(m) = maint {
        let _ = m.await;
    }
    log::debug!("[{}]: ticker stopped", ctx.label);
}

/// The first multiple of `period` (counted from pgqd's start) after `started`: every database
/// ticks at the same instants, and a late tick skips a slot rather than bursting to catch up.
fn next_slot(started: Instant, period: Duration) -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    let n = (started.saturating_duration_since(epoch).as_secs_f64() / period.as_secs_f64()).floor() + 1.0;
    epoch + period.mul_f64(n)
}

async fn step(ctx: &DbCtx, conn: &mut Option<Conn>, version: &mut Option<String>) -> Result<Step, Fail> {
    if conn.is_none() {
        let client = ctx.connect("pgqd").await.map_err(Fail::Connect)?;
        match check_pgq(ctx, &client, version).await.map_err(Fail::Query)? {
            true => {
                let ticker = prepare_ticker(ctx, &client).await.map_err(|e| Fail::Query(e.into()))?;
                *conn = Some(Conn { client, ticker, opened: Instant::now() });
            }
            false => return Ok(Step::NoPgq),
        }
    }
    let c = conn.as_mut().expect("connected above");
    let row = c.client.query_one(&c.ticker, &[]).await.map_err(|e| Fail::Query(e.into()))?;
    let queues: Option<i64> = row.get(0);
    log::debug!("[{}]: ticker: {} queue(s) ticked", ctx.label, queues.unwrap_or(0));
    Ok(Step::Ticked)
}

/// Ticks every queue as `pgq.ticker()` does (same queues, same order, one transaction) and
/// sends `NOTIFY pgq_ticker, '<queue>'` for each queue that got a new tick, delivered when the
/// tick commits, so listening consumers wake without polling. Returns how many queues ticked.
const TICK_AND_NOTIFY: &str = "\
    with ticked as ( \
        select queue_name, pgq.ticker(queue_name) as tick_id from pgq.queue \
         where not queue_external_ticker and not queue_ticker_paused order by queue_name) \
    select count(pg_notify('pgq_ticker', queue_name))::bigint from ticked where tick_id is not null";

/// The notifying ticker when the queue table has the columns it needs (PgQ 3.x), else the
/// plain `pgq.ticker()`.
async fn prepare_ticker(ctx: &DbCtx, client: &Client) -> Result<Statement, tokio_postgres::Error> {
    match client.prepare(TICK_AND_NOTIFY).await {
        Ok(st) => Ok(st),
        Err(e) => {
            log::debug!("[{}]: ticking without NOTIFY: {}", ctx.label, crate::script::db::error_text(&e));
            client.prepare("select pgq.ticker()").await
        }
    }
}

/// Is pgq installed here, and version 3 or later? Logs the version when it is first seen.
async fn check_pgq(ctx: &DbCtx, client: &Client, seen: &mut Option<String>) -> Result<bool> {
    if client.query_opt("select 1 from pg_catalog.pg_namespace where nspname = 'pgq'", &[]).await?.is_none() {
        log::debug!("[{}]: no pgq", ctx.label);
        return Ok(false);
    }
    let v: Option<String> = client.query_opt("select pgq.version()::text", &[]).await?.and_then(|r| r.get(0));
    let v = v.unwrap_or_default();
    let major: u32 = v.split(|c: char| !c.is_ascii_digit()).next().and_then(|d| d.parse().ok()).unwrap_or(0);
    if major < 3 {
        log::warn!("[{}]: bad pgq version, ignoring: {v:?}", ctx.label);
        return Ok(false);
    }
    if seen.as_deref() != Some(v.as_str()) {
        log::info!("[{}]: pgq version ok: {v}", ctx.label);
        *seen = Some(v);
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_shared_multiples_of_the_period() {
        let p = Duration::from_millis(100);
        let a = next_slot(Instant::now(), p);
        let b = next_slot(Instant::now() + Duration::from_millis(1), p);
        assert!(a == b || b == a + p, "same clock");
        let late = next_slot(a + Duration::from_millis(250), p);
        assert_eq!(late, a + Duration::from_millis(300), "a late tick skips to the next slot");
    }
}
