//! The ticker connection's socket, registered with the runtime for reading only. tokio's own
//! streams also ask for write readiness, and the kernel then reports the socket writable again
//! each time the server has read a request: one more wake-up of the ticker thread per tick, a
//! third of its wake-ups at small periods (the C pgqd, on libevent, waits for reading only too).
//! Ticker requests are a few dozen bytes, so a full send buffer is all but impossible; should
//! it happen, the write is retried a millisecond later.
//!
//! The socket can also be handed to the ticker itself (see `Reading` and `rawtick`): it then
//! leaves the runtime's poll set, the client's connection keeps off it, and the ticker reads a
//! tick's reply when it next wakes for its clock. A reply then costs no wake-up of its own.

use std::future::Future;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{ready, Context, Poll, Waker};
use std::time::Duration;

use anyhow::{anyhow, Result};
use nix::sys::socket::{setsockopt, sockopt};
use postgres::config::Host;
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};
use tokio::time::Sleep;

/// Before the retry of a write that found the send buffer full.
const WRITE_RETRY: Duration = Duration::from_millis(1);

#[derive(Debug)]
enum Sock {
    Unix(UnixStream),
    Tcp(std::net::TcpStream),
}

impl AsRawFd for Sock {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            Sock::Unix(s) => s.as_raw_fd(),
            Sock::Tcp(s) => s.as_raw_fd(),
        }
    }
}

impl Sock {
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Sock::Unix(s) => (&*s).read(buf),
            Sock::Tcp(s) => (&*s).read(buf),
        }
    }

    fn write(&self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sock::Unix(s) => (&*s).write(buf),
            Sock::Tcp(s) => (&*s).write(buf),
        }
    }

    fn shutdown(&self) -> io::Result<()> {
        match self {
            Sock::Unix(s) => s.shutdown(Shutdown::Write),
            Sock::Tcp(s) => s.shutdown(Shutdown::Write),
        }
    }
}

/// Who reads the ticker connection's socket, shared by the ticker task and the connection's
/// socket. The client (tokio-postgres, the default, and what connecting, commit wake-ups and
/// commit ticks use): the socket is in the runtime's poll set and every reply wakes the
/// thread. The ticker (its periodic ticks, `rawtick`): the socket is out of the poll set, the
/// client's reads wait until it is handed back, and the ticker reads replies when it likes.
/// Handing over happens only between requests, when no reply is owed to the client.
#[derive(Debug, Default)]
pub struct Reading {
    ticker: AtomicBool,
    /// The connection task's last read that found nothing, to wake at a hand-over.
    parked: Mutex<Option<Waker>>,
    sock: OnceLock<Arc<Sock>>,
}

impl Reading {
    pub fn give_to_ticker(&self) {
        if !self.ticker.swap(true, Ordering::SeqCst) {
            // so that the socket leaves the poll set now, not at its next wake-up
            self.wake_parked();
        }
    }

    pub fn give_to_client(&self) {
        if self.ticker.swap(false, Ordering::SeqCst) {
            self.wake_parked();
        }
    }

    pub fn ticker_reads(&self) -> bool {
        self.ticker.load(Ordering::SeqCst)
    }

    fn sock(&self) -> io::Result<&Arc<Sock>> {
        self.sock.get().ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "not connected"))
    }

    /// Writes `bytes` whole (a few dozen bytes into an empty send buffer), or fails.
    pub fn write(&self, bytes: &[u8]) -> io::Result<()> {
        match self.sock()?.write(bytes)? {
            n if n == bytes.len() => Ok(()),
            n => Err(io::Error::new(io::ErrorKind::WriteZero, format!("short write ({n} of {} bytes)", bytes.len()))),
        }
    }

    /// Appends to `buf` what can be read without waiting.
    pub fn read_available(&self, buf: &mut Vec<u8>) -> io::Result<()> {
        let sock = self.sock()?;
        let mut chunk = [0u8; 4096];
        loop {
            match sock.read(&mut chunk) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "server closed the connection")),
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    if n < chunk.len() {
                        return Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }

    /// Resolves when the socket has something to read (the ticker waits for a late reply).
    pub async fn readable(&self) -> io::Result<()> {
        let sock = SharedSock(self.sock()?.clone());
        // SAFETY: the Arc keeps the descriptor open for as long as the AsyncFd lives.
        match unsafe { AsyncFd::register_with_interest(sock, Interest::READABLE) } {
            Ok(fd) => fd.readable().await.map(|_| ()),
            // Still in the poll set for the client (a hand-over its task has not seen yet).
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(1)).await;
                Ok(())
            }
        }
    }

    fn park(&self, waker: &Waker) {
        let mut parked = self.parked.lock().unwrap_or_else(|e| e.into_inner());
        if !parked.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *parked = Some(waker.clone());
        }
    }

    fn wake_parked(&self) {
        let waker = self.parked.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// The socket as the runtime registers it; the ticker holds it too.
struct SharedSock(Arc<Sock>);

impl AsRawFd for SharedSock {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

enum Registration {
    Watched(AsyncFd<SharedSock>),
    Unwatched(Arc<Sock>),
    /// Only while moving between the two.
    Moving,
}

pub struct ReadOnly {
    reg: Registration,
    reading: Arc<Reading>,
    retry: Option<Pin<Box<Sleep>>>,
}

impl ReadOnly {
    fn new(sock: Sock, reading: Arc<Reading>) -> io::Result<ReadOnly> {
        let sock = Arc::new(sock);
        if reading.sock.set(sock.clone()).is_err() {
            return Err(io::Error::other("a ticker socket is connected once"));
        }
        let mut s = ReadOnly { reg: Registration::Unwatched(sock), reading, retry: None };
        s.set_watched(true)?;
        Ok(s)
    }

    fn sock(&self) -> &Sock {
        match &self.reg {
            Registration::Watched(fd) => &fd.get_ref().0,
            Registration::Unwatched(s) => s,
            Registration::Moving => unreachable!("socket left between registrations"),
        }
    }

    /// Puts the socket into the runtime's poll set, or takes it out.
    fn set_watched(&mut self, watched: bool) -> io::Result<()> {
        match (std::mem::replace(&mut self.reg, Registration::Moving), watched) {
            (Registration::Unwatched(sock), true) => {
                // SAFETY: the Arc keeps the descriptor open for as long as the AsyncFd lives.
                match unsafe { AsyncFd::register_with_interest(SharedSock(sock), Interest::READABLE) } {
                    Ok(fd) => self.reg = Registration::Watched(fd),
                    Err(e) => {
                        let (sock, err) = e.into_parts();
                        self.reg = Registration::Unwatched(sock.0);
                        return Err(err);
                    }
                }
            }
            (Registration::Watched(fd), false) => self.reg = Registration::Unwatched(fd.into_inner().0),
            (reg, _) => self.reg = reg,
        }
        Ok(())
    }

    fn poll_read_watched(&mut self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let Registration::Watched(fd) = &self.reg else { unreachable!("watched above") };
        loop {
            let mut ready = match fd.poll_read_ready(cx) {
                Poll::Ready(r) => r?,
                Poll::Pending => {
                    self.reading.park(cx.waker());
                    return Poll::Pending;
                }
            };
            let wanted = buf.remaining();
            match ready.try_io(|s| s.get_ref().0.read(buf.initialize_unfilled())) {
                Ok(Ok(n)) => {
                    // A short read emptied the socket: no need to find that out with a read
                    // that fails (what tokio's own streams do too).
                    if n > 0 && n < wanted {
                        ready.clear_ready();
                    }
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                Err(_would_block) => continue,
            }
        }
    }
}

impl AsyncRead for ReadOnly {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if !this.reading.ticker_reads() {
                if let Err(e) = this.set_watched(true) {
                    return Poll::Ready(Err(e));
                }
                return this.poll_read_watched(cx, buf);
            }
            if let Err(e) = this.set_watched(false) {
                return Poll::Ready(Err(e));
            }
            this.reading.park(cx.waker());
            // A hand-back between the look and the parking has woken nobody.
            if this.reading.ticker_reads() {
                return Poll::Pending;
            }
        }
    }
}

impl AsyncWrite for ReadOnly {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        loop {
            if let Some(retry) = self.retry.as_mut() {
                ready!(retry.as_mut().poll(cx));
                self.retry = None;
            }
            match self.sock().write(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.retry = Some(Box::pin(tokio::time::sleep(WRITE_RETRY)));
                }
                other => return Poll::Ready(other),
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.sock().shutdown())
    }
}

/// Connects to the first host of `cfg` that answers, as libpq would try them in order.
pub async fn connect(cfg: &postgres::Config, reading: Arc<Reading>) -> Result<ReadOnly> {
    let hosts = cfg.get_hosts();
    let ports = cfg.get_ports();
    let mut last = anyhow!("no host to connect to");
    for (i, host) in hosts.iter().enumerate() {
        let port = *ports.get(i).or(ports.first()).unwrap_or(&5432);
        let attempt = async {
            let sock = match host {
                Host::Unix(dir) => {
                    let s = tokio::net::UnixStream::connect(dir.join(format!(".s.PGSQL.{port}"))).await?;
                    Sock::Unix(s.into_std()?)
                }
                Host::Tcp(name) => {
                    let s = match cfg.get_hostaddrs().get(i) {
                        Some(addr) => tokio::net::TcpStream::connect((*addr, port)).await?,
                        None => tokio::net::TcpStream::connect((name.as_str(), port)).await?,
                    };
                    s.set_nodelay(true)?;
                    let s = s.into_std()?;
                    if cfg.get_keepalives() {
                        // What tokio-postgres's own connect would set: a peer that vanished is
                        // noticed even while the ticker waits for a reply.
                        setsockopt(&s, sockopt::KeepAlive, &true)?;
                        let idle = cfg.get_keepalives_idle().as_secs().clamp(1, i32::MAX as u64) as u32;
                        setsockopt(&s, sockopt::TcpKeepIdle, &idle)?;
                    }
                    Sock::Tcp(s)
                }
            };
            ReadOnly::new(sock, reading.clone())
        };
        let result = match cfg.get_connect_timeout() {
            Some(t) => tokio::time::timeout(*t, attempt).await.unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into())),
            None => attempt.await,
        };
        match result {
            Ok(s) => return Ok(s),
            Err(e) => last = anyhow!("{}: {e}", host_text(host, port)),
        }
    }
    Err(last)
}

fn host_text(host: &Host, port: u16) -> String {
    match host {
        Host::Unix(dir) => format!("socket \"{}\"", dir.join(format!(".s.PGSQL.{port}")).display()),
        Host::Tcp(name) => format!("server \"{name}\" port {port}"),
    }
}
