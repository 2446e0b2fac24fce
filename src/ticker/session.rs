//! The ticker's connection to one database: checks that pgq is there and new enough, prepares
//! the tick statements, LISTENs for commit wake-ups, and runs ticks (every queue, or the queues
//! commits asked for).

use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use tokio_postgres::{Client, Statement};

use super::wakeup::{Wakeups, CHANNEL};
use super::worker::DbCtx;

pub enum Fail {
    /// Could not open a connection (server down, database gone, auth).
    Connect(anyhow::Error),
    Query(anyhow::Error),
}

pub struct Session {
    client: Client,
    all: Statement,
    /// Ticks only the named queues; None against a pgq that cannot ask for commit ticks
    /// anyway (the original C PgQ).
    some: Option<Statement>,
    pub opened: Instant,
    /// Commit wake-ups arriving on this connection.
    pub wakeups: Arc<Wakeups>,
}

/// Ticks every queue as `pgq.ticker()` does (same queues, same order, one transaction) and
/// sends `NOTIFY pgq_ticker, '<queue>'` for each queue that got a new tick, delivered when the
/// tick commits, so listening consumers wake without polling. Returns how many queues ticked.
const TICK_ALL: &str = "\
    with ticked as ( \
        select queue_name, pgq.ticker(queue_name) as tick_id from pgq.queue \
         where not queue_external_ticker and not queue_ticker_paused order by queue_name) \
    select count(pg_notify('pgq_ticker', queue_name))::bigint from ticked where tick_id is not null";

/// The same for the queues named in $1 (unknown names are ignored: anybody can NOTIFY), with
/// the variant of pgq.ticker() that also ticks for events committed since the last tick whose
/// ids were taken before it (see sql/pgq/functions/pgq._tick_after_commit.sql).
const TICK_SOME: &str = "\
    with ticked as ( \
        select queue_name, pgq._tick_after_commit(queue_name) as tick_id from pgq.queue \
         where queue_name = any($1) and not queue_external_ticker and not queue_ticker_paused \
         order by queue_name) \
    select count(pg_notify('pgq_ticker', queue_name))::bigint from ticked where tick_id is not null";

impl Session {
    /// Connects and gets ready to tick; None when the database has no usable pgq.
    /// `seen_version` remembers the pgq version logged last, so a reconnect does not repeat it.
    pub async fn open(ctx: &DbCtx, seen_version: &mut Option<String>) -> Result<Option<Session>, Fail> {
        let wakeups = Arc::new(Wakeups::default());
        let client = ctx.connect_ticker(wakeups.clone()).await.map_err(Fail::Connect)?;
        if !check_pgq(ctx, &client, seen_version).await.map_err(Fail::Query)? {
            return Ok(None);
        }
        let query = |e: tokio_postgres::Error| Fail::Query(e.into());
        let (all, some) = match client.prepare(TICK_ALL).await {
            // Only our pgq has what commit ticks use, and only our pgq asks for them.
            Ok(all) => (all, client.prepare(TICK_SOME).await.ok()),
            Err(e) => {
                log::debug!("[{}]: ticking without NOTIFY: {}", ctx.label, crate::script::db::error_text(&e));
                (client.prepare("select pgq.ticker()").await.map_err(query)?, None)
            }
        };
        if some.is_some() {
            // Before the first tick: commits from now on wake us, the first tick covers the rest.
            client.batch_execute(&format!("listen {CHANNEL}")).await.map_err(query)?;
        }
        Ok(Some(Session { client, all, some, opened: Instant::now(), wakeups }))
    }

    /// One tick of every queue; returns how many got a new tick.
    pub async fn tick_all(&self) -> Result<i64, tokio_postgres::Error> {
        let row = self.client.query_one(&self.all, &[]).await?;
        Ok(row.get::<_, Option<i64>>(0).unwrap_or(0))
    }

    /// One tick of the named queues; returns how many got a new tick.
    pub async fn tick_queues(&self, queues: &[String]) -> Result<i64, tokio_postgres::Error> {
        let Some(st) = &self.some else { return self.tick_all().await };
        let row = self.client.query_one(st, &[&queues]).await?;
        Ok(row.get::<_, Option<i64>>(0).unwrap_or(0))
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
