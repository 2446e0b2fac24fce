//! The ticker connection's socket, registered with the runtime for reading only. tokio's own
//! streams also ask for write readiness, and the kernel then reports the socket writable again
//! each time the server has read a request: one more wake-up of the ticker thread per tick, a
//! third of its wake-ups at small periods (the C pgqd, on libevent, waits for reading only too).
//! Ticker requests are a few dozen bytes, so a full send buffer is all but impossible; should
//! it happen, the write is retried a millisecond later.

use std::future::Future;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use anyhow::{anyhow, Result};
use nix::sys::socket::{setsockopt, sockopt};
use postgres::config::Host;
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};
use tokio::time::Sleep;

/// Before the retry of a write that found the send buffer full.
const WRITE_RETRY: Duration = Duration::from_millis(1);

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

pub struct ReadOnly {
    fd: AsyncFd<Sock>,
    retry: Option<Pin<Box<Sleep>>>,
}

impl ReadOnly {
    fn new(sock: Sock) -> io::Result<ReadOnly> {
        // SAFETY: the socket owns its descriptor for as long as the AsyncFd owns the socket.
        let fd = unsafe { AsyncFd::register_with_interest(sock, Interest::READABLE) }.map_err(|e| e.into_parts().1)?;
        Ok(ReadOnly { fd, retry: None })
    }
}

impl AsyncRead for ReadOnly {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        loop {
            let mut ready = ready!(self.fd.poll_read_ready(cx))?;
            let wanted = buf.remaining();
            match ready.try_io(|s| s.get_ref().read(buf.initialize_unfilled())) {
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

impl AsyncWrite for ReadOnly {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        loop {
            if let Some(retry) = self.retry.as_mut() {
                ready!(retry.as_mut().poll(cx));
                self.retry = None;
            }
            match self.fd.get_ref().write(buf) {
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
        Poll::Ready(self.fd.get_ref().shutdown())
    }
}

/// Connects to the first host of `cfg` that answers, as libpq would try them in order.
pub async fn connect(cfg: &postgres::Config) -> Result<ReadOnly> {
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
            ReadOnly::new(sock)
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
