//! The maintenance task of one database: every retry_period move due retry events back into
//! their queues, every maint_period run the operations pgq lists (table rotation step 1 and step
//! 2, each queue's extra maintenance functions, vacuum of pgq's own tables). Each statement runs
//! in its own transaction: rotation step 2 must not share one with step 1. The connection is
//! opened per round and closed after it, as the C pgqd does, so idle databases hold one
//! connection, not two. A long statement (vacuum) only makes this task wait: the ticker thread
//! goes on with every other task meanwhile.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use tokio_postgres::types::Type;
use tokio_postgres::{Client, Row};

use super::failures::Failures;
use super::worker::DbCtx;
use crate::script::db::anyhow_text;
use crate::script::quoting::{quote_fqident, quote_ident};

/// Pause before retrying a failed round; maintenance is never urgent.
const ERROR_PAUSE: Duration = Duration::from_secs(20);

pub async fn run(ctx: Arc<DbCtx>) {
    log::debug!("[{}]: launching maintenance", ctx.label);
    let mut next_retry = Instant::now();
    let mut next_maint = Instant::now();
    let mut failures = Failures::default();
    loop {
        let s = ctx.shared.settings();
        let now = Instant::now();
        let (due_retry, due_maint) = (now >= next_retry, now >= next_maint);
        let mut client = None;
        if due_retry {
            let result = match connected(&ctx, &mut client).await {
                Ok(c) => retry_round(&ctx, c).await,
                Err(e) => Err(e),
            };
            next_retry = match result {
                Ok(moved) => {
                    failures.recovered(&ctx.label);
                    ctx.shared.stats.retried(&ctx.state, moved);
                    now + s.retry_period
                }
                Err(e) => {
                    report(&ctx, &mut failures, "retry events", &e);
                    client = None;
                    now + ERROR_PAUSE
                }
            };
        }
        if due_maint {
            let result = match connected(&ctx, &mut client).await {
                Ok(c) => maint_round(&ctx, c).await,
                Err(e) => Err(e),
            };
            next_maint = match result {
                Ok(()) => {
                    failures.recovered(&ctx.label);
                    ctx.shared.stats.maint_round(&ctx.state);
                    now + s.maint_period
                }
                Err(e) => {
                    report(&ctx, &mut failures, "maintenance", &e);
                    now + ERROR_PAUSE
                }
            };
        }
        drop(client);
        if ctx.stop.sleep_until(next_retry.min(next_maint)).await {
            break;
        }
    }
    log::debug!("[{}]: maintenance stopped", ctx.label);
}

/// The round's connection, opened on first use.
async fn connected<'a>(ctx: &DbCtx, client: &'a mut Option<Client>) -> Result<&'a Client> {
    if client.is_none() {
        *client = Some(ctx.connect("pgqd maint").await?);
    }
    Ok(client.as_ref().expect("connected above"))
}

/// While the ticker already reports the database down, a failing maintenance round is only
/// worth a debug line: the ticker thread logs the outage.
fn report(ctx: &DbCtx, failures: &mut Failures, what: &str, e: &anyhow::Error) {
    let text = anyhow_text(e);
    if ctx.state.up.load(Ordering::Relaxed) {
        failures.failed(&ctx.label, &format!("{what} failed"), &text);
    } else {
        log::debug!("[{}]: {what} failed: {text}", ctx.label);
    }
}

/// Moves due retry events back into their queues, in batches, until none is left.
async fn retry_round(ctx: &DbCtx, c: &Client) -> Result<u64> {
    let mut total = 0;
    loop {
        let row = c.query_one("select * from pgq.maint_retry_events()", &[]).await?;
        let moved = first_int(&row);
        log::debug!("[{}]: maint_retry_events: {moved}", ctx.label);
        if moved <= 0 || ctx.stop.is_stopped() {
            return Ok(total);
        }
        total += moved as u64;
    }
}

async fn maint_round(ctx: &DbCtx, c: &Client) -> Result<()> {
    let listed = c
        .query_opt(
            "select 1 from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace \
             where p.proname = 'maint_operations' and n.nspname = 'pgq'",
            &[],
        )
        .await?
        .is_some();
    if listed {
        let ops = c.query("select func_name::text, func_arg::text from pgq.maint_operations()", &[]).await?;
        run_ops(ctx, c, ops.iter().map(|r| (r.get(0), r.get(1))).collect()).await
    } else {
        // pgq before 3.1 has no maint_operations: rotate every queue, then vacuum.
        let queues = c.query("select queue_name::text from pgq.get_queue_info()", &[]).await?;
        let mut ops: Vec<(String, Option<String>)> =
            queues.iter().map(|r| ("pgq.maint_rotate_tables_step1".into(), Some(r.get(0)))).collect();
        ops.push(("pgq.maint_rotate_tables_step2".into(), None));
        run_ops(ctx, c, ops).await?;
        let tables = c.query("select * from pgq.maint_tables_to_vacuum()", &[]).await?;
        run_ops(ctx, c, tables.iter().map(|r| ("vacuum".into(), Some(r.get::<_, String>(0)))).collect()).await
    }
}

async fn run_ops(ctx: &DbCtx, c: &Client, ops: Vec<(String, Option<String>)>) -> Result<()> {
    for (func, arg) in ops {
        if ctx.stop.is_stopped() {
            break;
        }
        run_op(ctx, c, &func, arg.as_deref()).await?;
    }
    Ok(())
}

/// One listed operation: `vacuum [analyze] <table>` as a statement, anything else as a function
/// called with the argument (or none), again at once while it returns non-zero (more to do).
async fn run_op(ctx: &DbCtx, c: &Client, func: &str, arg: Option<&str>) -> Result<()> {
    let lower = func.trim().to_lowercase();
    if lower == "vacuum" || lower == "vacuum analyze" {
        let Some(table) = arg.filter(|t| !t.is_empty()) else { bail!("{func} without a table name") };
        let sql = format!("{lower} {}", quote_name(table));
        log::debug!("[{}]: {sql}", ctx.label);
        c.batch_execute(&sql).await?;
        return Ok(());
    }
    let name = quote_name(func);
    loop {
        let row = match arg {
            Some(a) => {
                log::debug!("[{}]: select {name}($1) [{a}]", ctx.label);
                c.query_opt(&format!("select {name}($1)"), &[&a]).await?
            }
            None => {
                log::debug!("[{}]: select {name}()", ctx.label);
                c.query_opt(&format!("select {name}()"), &[]).await?
            }
        };
        if row.as_ref().map_or(0, first_int) == 0 || ctx.stop.is_stopped() {
            return Ok(());
        }
    }
}

/// Qualified names are quoted part by part; a bare name stays bare (search_path applies).
fn quote_name(name: &str) -> String {
    if name.contains('.') {
        quote_fqident(name)
    } else {
        quote_ident(name)
    }
}

/// The first column as an integer, whatever its integer type; anything else counts as 0.
fn first_int(row: &Row) -> i64 {
    let ty = row.columns().first().map(|c| c.type_().clone());
    match ty {
        Some(Type::INT2) => row.get::<_, Option<i16>>(0).unwrap_or(0).into(),
        Some(Type::INT4) => row.get::<_, Option<i32>>(0).unwrap_or(0).into(),
        Some(Type::INT8) => row.get::<_, Option<i64>>(0).unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_quoted_per_part() {
        assert_eq!(super::quote_name("pgq.maint_rotate_tables_step1"), "pgq.maint_rotate_tables_step1");
        assert_eq!(super::quote_name("My.Func"), "\"My\".\"Func\"");
        assert_eq!(super::quote_name("baz"), "baz");
    }
}
