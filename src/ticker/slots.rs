//! The clock of a database's periodic ticks: every database ticks on the same slots, multiples
//! of ticker_period counted from pgqd's start, so one wake-up of the ticker thread serves them
//! all. The clock is a periodic timerfd rather than a tokio timer: tokio's timer wheel keeps a
//! timer that is more than 64 ms away, or whose deadline crosses a 64 ms boundary, in a coarser
//! level and wakes the thread once more to move it down (every tick at 100 ms, about one tick in
//! six at 10 ms), where the kernel wakes it exactly once a period.

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

pub struct Slots {
    fd: AsyncFd<Clock>,
    period: Duration,
}

/// The timerfd as tokio needs it (nix's type has `AsFd` only).
struct Clock(TimerFd);

impl AsRawFd for Clock {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

impl Slots {
    /// A clock firing at every slot of `period` from the next one on (needs the runtime).
    pub fn new(period: Duration) -> io::Result<Slots> {
        let tfd = TimerFd::new(ClockId::CLOCK_MONOTONIC, TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC)?;
        let now = Instant::now();
        // A zero delay would disarm the timer.
        let first = next_slot(now, period).saturating_duration_since(now).max(Duration::from_nanos(1));
        tfd.set(
            Expiration::IntervalDelayed(TimeSpec::from_duration(first), TimeSpec::from_duration(period)),
            TimerSetTimeFlags::empty(),
        )?;
        // SAFETY: the TimerFd owns its descriptor for as long as the AsyncFd owns the TimerFd.
        let fd =
            unsafe { AsyncFd::register_with_interest(Clock(tfd), Interest::READABLE) }.map_err(|e| e.into_parts().1)?;
        Ok(Slots { fd, period })
    }

    pub fn period(&self) -> Duration {
        self.period
    }

    /// Resolves at the next slot, or at once when one has passed since the last call.
    pub async fn next(&self) -> io::Result<()> {
        loop {
            let mut ready = self.fd.readable().await?;
            match ready.get_inner().0.wait() {
                // Read empty: the next readiness is the next expiration, no read needed before.
                Ok(()) => {
                    ready.clear_ready();
                    return Ok(());
                }
                Err(Errno::EAGAIN) => ready.clear_ready(),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Forgets the slots that passed meanwhile: after a tick longer than a period, the next one
    /// comes at the next slot rather than at once.
    pub fn skip_passed(&self) {
        let _ = self.fd.get_ref().0.wait();
    }
}

/// The first multiple of `period` (counted from pgqd's start) after `t`.
pub fn next_slot(t: Instant, period: Duration) -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    let n = (t.saturating_duration_since(epoch).as_secs_f64() / period.as_secs_f64()).floor() + 1.0;
    epoch + period.mul_f64(n)
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

    #[test]
    fn passed_slots_are_skipped() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let s = Slots::new(Duration::from_millis(200)).unwrap();
            s.next().await.unwrap();
            // Slots pass while nobody waits; after the skip, the next is 150 ms away.
            std::thread::sleep(Duration::from_millis(450));
            assert_eq!(s.fd.get_ref().0.wait(), Ok(()), "passed slots are pending");
            std::thread::sleep(Duration::from_millis(200));
            s.skip_passed();
            assert_eq!(s.fd.get_ref().0.wait(), Err(Errno::EAGAIN), "none left after the skip");
        });
    }
}
