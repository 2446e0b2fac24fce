//! The ticker of one database, a task on pgqd's single ticker thread: tick every queue every
//! ticker_period on one kept connection (re-opened after connection_lifetime), tick the queues
//! whose commits ask for it in between (see `wakeup`), and start the maintenance task once the
//! first tick worked.
//! All databases tick on the same clock (multiples of ticker_period, see `slots`), so one
//! wake-up of the thread serves every database: that is what keeps pgqd's CPU use low with many
//! databases. The periodic tick is written to the socket directly and its reply read at the
//! next slot (`rawtick`), so a period costs one wake-up and a few system calls, unless commit
//! ticks need the replies as they come.

use std::future::{poll_fn, Future};
use std::ops::ControlFlow;
use std::pin::{pin, Pin};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use postgres::error::SqlState;
use tokio::time::Sleep;

use super::failures::Failures;
use super::session::{Fail, Session, TickReply};
use super::slots::{next_slot, Slots};
use super::wakeup::{Wakeups, Wanted};
use super::worker::DbCtx;
use crate::script::db::anyhow_text;

/// When the next tick of every queue comes.
enum Clock {
    /// At every slot: the normal state.
    Slots(Slots),
    /// Once, at this time: after a failure, without pgq, at the start.
    At(Instant),
}

enum Step {
    Ticked,
    /// Sent; the reply is read at the next wake-up (`Ticker::pending`).
    Sent,
    /// No usable pgq here: look again after check_period.
    NoPgq,
}

/// The ticker task's state between ticks.
struct Ticker {
    ctx: Arc<DbCtx>,
    session: Option<Arc<Session>>,
    /// When the periodic tick whose reply is not read yet was sent (`rawtick`).
    pending: Option<Instant>,
    /// Bytes of that reply read so far.
    reply_buf: Vec<u8>,
    failures: Failures,
    maint: Option<tokio::task::JoinHandle<()>>,
    version: Option<String>,
    /// When every queue is ticked next.
    clock: Clock,
    /// When the queues commits asked for are ticked, if some did.
    commit_due: Option<Instant>,
    /// The start of the last tick commits asked for: the next is commit_tick_min_interval later
    /// at the earliest, so a queue with thousands of commits a second does not get thousands of
    /// ticks (the periodic ticks do not count: they come at their own bounded rate).
    last_commit_tick: Option<Instant>,
    /// Some queue here is set to ticker_on_commit, as the last tick said.
    on_commit: bool,
}

/// The longest ticker_period at which the ticker reads its ticks' replies itself (`rawtick`).
const RAW_TICKS_UP_TO: Duration = Duration::from_secs(1);

pub async fn run(ctx: Arc<DbCtx>) {
    log::debug!("[{}]: launching ticker", ctx.label);
    let now = Instant::now();
    let mut t = Ticker {
        ctx: ctx.clone(),
        session: None,
        pending: None,
        reply_buf: Vec::new(),
        failures: Failures::default(),
        maint: None,
        version: None,
        clock: Clock::At(now),
        commit_due: None,
        last_commit_tick: None,
        on_commit: false,
    };
    // For Clock::At and commit ticks: one timer, moved rather than re-created.
    let mut timer = pin!(tokio::time::sleep_until(now.into()));
    loop {
        let full_at = match &t.clock {
            Clock::At(at) => Some(*at),
            Clock::Slots(_) => None,
        };
        let timer_at = full_at.into_iter().chain(t.commit_due).min();
        if let Some(at) = timer_at.filter(|at| timer.deadline() != (*at).into()) {
            timer.as_mut().reset(at.into());
        }
        let slots = match &t.clock {
            Clock::Slots(slots) => Some(slots),
            Clock::At(_) => None,
        };
        let wakeups = t.session.as_ref().map(|s| s.wakeups.clone()).filter(|_| t.commit_due.is_none());
        let woke = wait(&ctx, slots, timer_at.map(|_| timer.as_mut()), wakeups.as_deref()).await;
        let full = match woke {
            Woke::Stop => break,
            Woke::Slot(Err(e)) => {
                // The clock is lost (it never should be): fall back to a one-off timer.
                log::error!("[{}]: ticker clock failed: {e}", ctx.label);
                t.clock = Clock::At(next_slot(Instant::now(), ctx.shared.settings().ticker_period));
                continue;
            }
            Woke::Slot(Ok(())) => true,
            Woke::Timer => full_at.is_some_and(|at| Instant::now() >= at),
            Woke::Commit => {
                if let Some(reason) = wakeups.as_ref().and_then(|w| w.closed()) {
                    // Reported like a failed tick, and reconnected after the same short pause
                    // rather than at the next tick, which may be a long ticker_period away.
                    if t.failed(Fail::Query(anyhow!(reason))).is_break() {
                        break;
                    }
                    continue;
                }
                let gap = ctx.shared.settings().commit_tick_min_interval;
                let at = t.last_commit_tick.map_or_else(Instant::now, |l| l + gap);
                // A full tick due before then covers these queues too.
                let next_full =
                    full_at.unwrap_or_else(|| next_slot(Instant::now(), ctx.shared.settings().ticker_period));
                if at < next_full {
                    t.commit_due = Some(at);
                }
                continue;
            }
        };
        if t.finish_pending().await.is_break() {
            break;
        }
        let started = Instant::now();
        let full = full || t.session.is_none();
        t.commit_due = None;
        // Taken before the tick: a commit announced during it gets a tick of its own.
        let wanted = match (full, t.session.as_ref().and_then(|s| s.wakeups.take())) {
            (true, _) => Wanted::All,
            (false, Some(w)) => w,
            (false, None) => continue,
        };
        if t.tick(started, full, &wanted).await.is_break() {
            break;
        }
    }
    ctx.state.up.store(false, Ordering::Relaxed);
    if let Some(m) = t.maint.take() {
        let _ = m.await;
    }
    log::debug!("[{}]: ticker stopped", ctx.label);
}

enum Woke {
    Stop,
    Slot(std::io::Result<()>),
    Timer,
    Commit,
}

/// Waits for a stop, the next slot, the timer or a commit wake-up (those given), in that order
/// of precedence.
async fn wait(ctx: &DbCtx, slots: Option<&Slots>, timer: Option<Pin<&mut Sleep>>, wakeups: Option<&Wakeups>) -> Woke {
    let mut stop = pin!(ctx.stop.stopped());
    let mut slot = pin!(async {
        match slots {
            Some(s) => s.next().await,
            None => std::future::pending().await,
        }
    });
    let mut timer = pin!(async {
        match timer {
            Some(t) => t.await,
            None => std::future::pending().await,
        }
    });
    let mut commit = pin!(async {
        match wakeups {
            Some(w) => w.arrived().await,
            None => std::future::pending().await,
        }
    });
    poll_fn(|cx| {
        if stop.as_mut().poll(cx).is_ready() {
            Poll::Ready(Woke::Stop)
        } else if let Poll::Ready(r) = slot.as_mut().poll(cx) {
            Poll::Ready(Woke::Slot(r))
        } else if timer.as_mut().poll(cx).is_ready() {
            Poll::Ready(Woke::Timer)
        } else if commit.as_mut().poll(cx).is_ready() {
            Poll::Ready(Woke::Commit)
        } else {
            Poll::Pending
        }
    })
    .await
}

impl Ticker {
    /// One tick (all queues when `full`) and its bookkeeping; sets when the next full one is due.
    /// Breaks when the task must end (max_reconnect_failures reached).
    async fn tick(&mut self, started: Instant, full: bool, wanted: &Wanted) -> ControlFlow<()> {
        let ctx = self.ctx.clone();
        let s = ctx.shared.settings();
        if !full {
            self.last_commit_tick = Some(started);
        }
        if self.session.as_ref().is_some_and(|c| c.opened.elapsed() >= s.connection_lifetime) {
            log::debug!("[{}]: connection_lifetime reached, reconnecting", ctx.label);
            self.session = None;
        }
        match self.step(started, wanted).await {
            Ok(Step::Ticked) => self.ticked(started, full.then(|| started.elapsed() >= s.ticker_period)),
            Ok(Step::Sent) => {}
            Ok(Step::NoPgq) => {
                self.session = None;
                ctx.state.up.store(true, Ordering::Relaxed);
                ctx.state.has_pgq.store(false, Ordering::Relaxed);
                self.clock = Clock::At(Instant::now() + s.check_period);
            }
            Err(fail) => return self.failed(fail),
        }
        ControlFlow::Continue(())
    }

    /// The bookkeeping of a tick that worked; `late` tells for a full tick whether it took
    /// longer than a period.
    fn ticked(&mut self, started: Instant, late: Option<bool>) {
        let ctx = self.ctx.clone();
        if let Some(late) = late {
            self.keep_time(started, late, ctx.shared.settings().ticker_period);
        }
        self.failures.recovered(&ctx.label);
        ctx.state.up.store(true, Ordering::Relaxed);
        ctx.state.has_pgq.store(true, Ordering::Relaxed);
        ctx.shared.stats.tick(&ctx.state, started);
        if self.maint.is_none() {
            self.maint = Some(tokio::spawn(super::maint::run(ctx.clone())));
        }
    }

    /// Reads the reply of the tick sent at the last slot: normally there already, read without
    /// waiting; a tick slower than a period is waited for.
    async fn finish_pending(&mut self) -> ControlFlow<()> {
        let Some(started) = self.pending.take() else { return ControlFlow::Continue(()) };
        let Some(session) = self.session.clone() else { return ControlFlow::Continue(()) };
        let ctx = self.ctx.clone();
        let read = {
            let mut stop = pin!(ctx.stop.stopped());
            let mut read = pin!(session.read_tick(&mut self.reply_buf, &ctx.label));
            poll_fn(|cx| {
                if let Poll::Ready(r) = read.as_mut().poll(cx) {
                    return Poll::Ready(Some(r));
                }
                stop.as_mut().poll(cx).map(|_| None)
            })
            .await
        };
        match read {
            None => ControlFlow::Break(()),
            Some(Ok((reply, late))) => {
                self.read_replies(&session, &reply);
                log::debug!("[{}]: ticker: {} queue(s) ticked", self.ctx.label, reply.ticked);
                self.ticked(started, Some(late));
                ControlFlow::Continue(())
            }
            Some(Err(e)) => self.failed(Fail::Query(e)),
        }
    }

    /// The ticker reads the socket itself unless commit wake-ups must wake it as they come, or
    /// ticks are so far apart that reading replies itself saves little and would leave a queue
    /// newly set to ticker_on_commit unserved for that long.
    fn read_replies(&mut self, session: &Session, reply: &TickReply) {
        if reply.on_commit != self.on_commit {
            self.on_commit = reply.on_commit;
            let label = &self.ctx.label;
            if reply.on_commit {
                log::debug!("[{label}]: a queue is set to ticker_on_commit: its commits wake the ticker");
            } else {
                log::debug!("[{label}]: no queue is set to ticker_on_commit");
            }
        }
        if reply.on_commit || self.ctx.shared.settings().ticker_period > RAW_TICKS_UP_TO {
            session.reading.give_to_client();
        } else {
            session.reading.give_to_ticker();
        }
    }

    /// After a full tick: the next ones come at every slot, on a clock of the current period.
    fn keep_time(&mut self, started: Instant, late: bool, period: Duration) {
        match &self.clock {
            Clock::Slots(slots) if slots.period() == period => {
                if late {
                    slots.skip_passed();
                }
            }
            _ => match Slots::new(period) {
                Ok(slots) => self.clock = Clock::Slots(slots),
                Err(e) => {
                    log::error!("[{}]: cannot create the ticker clock: {e}", self.ctx.label);
                    self.clock = Clock::At(next_slot(started, period));
                }
            },
        }
    }

    /// A failed connect or tick: drop the connection, report, and set when to try again.
    /// Breaks when the task must end (max_reconnect_failures reached).
    fn failed(&mut self, fail: Fail) -> ControlFlow<()> {
        let ctx = self.ctx.clone();
        let s = ctx.shared.settings();
        self.session = None;
        self.pending = None;
        self.reply_buf.clear();
        self.version = None;
        ctx.state.up.store(false, Ordering::Relaxed);
        ctx.state.errors.fetch_add(1, Ordering::Relaxed);
        let (what, e, connecting) = match &fail {
            Fail::Connect(e) => ("connection failed", e, true),
            Fail::Query(e) => ("ticker failed", e, false),
        };
        let text = anyhow_text(e);
        let pause = self.failures.failed(&ctx.label, what, &text);
        // A dropped database is the discovery's business (it lets go of the worker at
        // the next check), not a reason to stop serving every other database.
        let gone = e.chain().any(|c| {
            c.downcast_ref::<tokio_postgres::Error>().and_then(|p| p.code()) == Some(&SqlState::INVALID_CATALOG_NAME)
        });
        if connecting
            && !gone
            && s.max_reconnect_failures > 0
            && self.failures.consecutive() >= s.max_reconnect_failures
        {
            ctx.shared.give_up(format!(
                "[{}]: giving up after {} failed connection attempts: {text}",
                ctx.label,
                self.failures.consecutive()
            ));
            return ControlFlow::Break(());
        }
        self.clock = Clock::At(Instant::now() + pause);
        self.commit_due = None;
        ControlFlow::Continue(())
    }

    async fn step(&mut self, started: Instant, wanted: &Wanted) -> Result<Step, Fail> {
        if self.session.is_none() {
            match Session::open(&self.ctx, &mut self.version).await? {
                Some(s) => self.session = Some(Arc::new(s)),
                None => return Ok(Step::NoPgq),
            }
        }
        let session = self.session.clone().expect("opened above");
        let ctx = self.ctx.clone();
        let label = &ctx.label;
        let query = |e: tokio_postgres::Error| Fail::Query(e.into());
        match wanted {
            Wanted::All if session.reading.ticker_reads() => {
                session.send_tick().map_err(|e| Fail::Query(e.into()))?;
                self.pending = Some(started);
                return Ok(Step::Sent);
            }
            Wanted::All => {
                let r = session.tick_all().await.map_err(query)?;
                self.read_replies(&session, &r);
                log::debug!("[{label}]: ticker: {} queue(s) ticked", r.ticked);
            }
            Wanted::Queues(queues) => {
                // Through the client, whose reply wakes the ticker.
                session.reading.give_to_client();
                let n = session.tick_queues(queues).await.map_err(query)?;
                log::debug!("[{label}]: ticker: {n} queue(s) ticked after commits to {}", queues.join(", "));
            }
        }
        Ok(Step::Ticked)
    }
}
