//! The ticker's connection to one database: checks that pgq is there and new enough, prepares
//! the tick statements, LISTENs for commit wake-ups, and runs ticks (every queue, or the queues
//! commits asked for).

use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use tokio_postgres::{Client, Statement};

use super::rawtick;
use super::socket::Reading;
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
    /// Who reads the socket: the client, or the ticker for its periodic ticks (see `socket`).
    pub reading: Arc<Reading>,
    /// The periodic tick as the ticker sends it itself (`rawtick`).
    request: Vec<u8>,
}

/// What a tick of every queue says.
pub struct TickReply {
    /// How many queues got a new tick.
    pub ticked: i64,
    /// Some queue here is set to ticker_on_commit: its commit wake-ups must wake the ticker.
    pub on_commit: bool,
}

/// Ticks every queue as `pgq.ticker()` does (same queues, same order, one transaction) and
/// sends `NOTIFY pgq_ticker, '<queue>'` for each queue that got a new tick, delivered when the
/// tick commits, so listening consumers wake without polling. Returns how many queues ticked.
const TICK_ALL: &str = "\
    with ticked as ( \
        select queue_name, pgq.ticker(queue_name) as tick_id from pgq.queue \
         where not queue_external_ticker and not queue_ticker_paused order by queue_name) \
    select count(pg_notify('pgq_ticker', queue_name))::bigint from ticked where tick_id is not null";

/// TICK_ALL for our pgq, which also says whether some queue asks for commit ticks.
const TICK_ALL_OURS: &str = "\
    with ticked as ( \
        select queue_name, pgq.ticker(queue_name) as tick_id from pgq.queue \
         where not queue_external_ticker and not queue_ticker_paused order by queue_name) \
    select count(pg_notify('pgq_ticker', queue_name))::bigint, \
           exists (select 1 from pgq.queue_ticker_on_commit) \
      from ticked where tick_id is not null";

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
        let reading = Arc::new(Reading::default());
        let client = ctx.connect_ticker(wakeups.clone(), reading.clone()).await.map_err(Fail::Connect)?;
        if !check_pgq(ctx, &client, seen_version).await.map_err(Fail::Query)? {
            return Ok(None);
        }
        let query = |e: tokio_postgres::Error| Fail::Query(e.into());
        // Only our pgq has what commit ticks use, and only our pgq asks for them.
        let (all_sql, all, some) = match client.prepare(TICK_SOME).await {
            Ok(some) => (TICK_ALL_OURS, client.prepare(TICK_ALL_OURS).await.map_err(query)?, Some(some)),
            Err(_) => match client.prepare(TICK_ALL).await {
                Ok(all) => (TICK_ALL, all, None),
                Err(e) => {
                    log::debug!("[{}]: ticking without NOTIFY: {}", ctx.label, crate::script::db::error_text(&e));
                    let sql = "select pgq.ticker()";
                    (sql, client.prepare(sql).await.map_err(query)?, None)
                }
            },
        };
        client.batch_execute(&format!("prepare {} as {all_sql}", rawtick::STATEMENT)).await.map_err(query)?;
        if some.is_some() {
            // Before the first tick: commits from now on wake us, the first tick covers the rest.
            client.batch_execute(&format!("listen {CHANNEL}")).await.map_err(query)?;
        }
        Ok(Some(Session { client, all, some, opened: Instant::now(), wakeups, reading, request: rawtick::request() }))
    }

    /// One tick of every queue.
    pub async fn tick_all(&self) -> Result<TickReply, tokio_postgres::Error> {
        let row = self.client.query_one(&self.all, &[]).await?;
        let on_commit = row.len() > 1 && row.get::<_, bool>(1);
        Ok(TickReply { ticked: row.get::<_, Option<i64>>(0).unwrap_or(0), on_commit })
    }

    /// Sends a tick of every queue on the socket itself (the ticker must be reading it); the
    /// reply is taken with `read_tick`.
    pub fn send_tick(&self) -> std::io::Result<()> {
        self.reading.write(&self.request)
    }

    /// The reply of the tick sent last, from the bytes read so far into `buf` and those that
    /// come; waits for them when they are not all there, and says so (`late`).
    pub async fn read_tick(&self, buf: &mut Vec<u8>, label: &str) -> Result<(TickReply, bool)> {
        let mut late = false;
        loop {
            self.reading.read_available(buf)?;
            if let Some(r) = rawtick::parse(buf)? {
                for n in &r.notices {
                    log::debug!("[{label}]: {n}");
                }
                for (channel, payload) in &r.notifications {
                    if channel == CHANNEL {
                        self.wakeups.push(payload);
                    }
                }
                if let rawtick::Outcome::Error(e) = r.outcome {
                    return Err(e.into());
                }
                return Ok((TickReply { ticked: r.int8(0), on_commit: r.boolean(1) }, late));
            }
            late = true;
            self.reading.readable().await?;
        }
    }

    /// One tick of the named queues; returns how many got a new tick.
    pub async fn tick_queues(&self, queues: &[String]) -> Result<i64, tokio_postgres::Error> {
        let Some(st) = &self.some else { return Ok(self.tick_all().await?.ticked) };
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
