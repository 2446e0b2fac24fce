//! A minimal HTTP/1.1 responder for `GET /metrics` on std::net: one request per connection,
//! answered and closed, one connection at a time. Anything else gets a 4xx; there is nothing to
//! change through it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use anyhow::{Context, Result};

use super::metrics::Collector;

/// A request head larger than this is refused.
const MAX_HEAD: usize = 8192;
/// A client that does not send its request in time is dropped; the next one is served.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// Binds the address now (so a bad or busy address fails the start) and serves on a thread.
pub fn serve(addr: SocketAddr, mut collector: Collector) -> Result<()> {
    let listener = TcpListener::bind(addr).with_context(|| format!("metrics_listen: cannot listen on {addr}"))?;
    log::info!("metrics on http://{addr}/metrics");
    std::thread::Builder::new().name("metrics".into()).spawn(move || {
        for stream in listener.incoming() {
            match stream {
                Ok(s) => {
                    if let Err(e) = handle(s, &mut collector) {
                        log::debug!("metrics request: {e:#}");
                    }
                }
                Err(e) => log::debug!("metrics accept: {e}"),
            }
        }
    })?;
    Ok(())
}

/// What to answer to a request head.
#[derive(Debug, PartialEq)]
enum Route {
    Metrics { head_only: bool },
    Error(u16, &'static str),
}

fn route(head: &str) -> Route {
    let line = head.lines().next().unwrap_or("");
    let parts: Vec<&str> = line.split(' ').collect();
    let [method, target, version] = parts[..] else { return Route::Error(400, "Bad Request") };
    if !version.starts_with("HTTP/1.") || !target.starts_with('/') {
        return Route::Error(400, "Bad Request");
    }
    let path = target.split('?').next().unwrap_or(target);
    if path != "/metrics" {
        return Route::Error(404, "Not Found");
    }
    match method {
        "GET" => Route::Metrics { head_only: false },
        "HEAD" => Route::Metrics { head_only: true },
        _ => Route::Error(405, "Method Not Allowed"),
    }
}

fn handle(mut s: TcpStream, collector: &mut Collector) -> Result<()> {
    s.set_read_timeout(Some(IO_TIMEOUT))?;
    s.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    let complete = loop {
        if head.windows(4).any(|w| w == b"\r\n\r\n") || head.windows(2).any(|w| w == b"\n\n") {
            break true;
        }
        if head.len() > MAX_HEAD {
            break false;
        }
        match s.read(&mut buf)? {
            0 => break false,
            n => head.extend_from_slice(&buf[..n]),
        }
    };
    let route = match (complete, std::str::from_utf8(&head)) {
        (true, Ok(text)) => route(text),
        (false, _) if head.len() > MAX_HEAD => Route::Error(431, "Request Header Fields Too Large"),
        _ => Route::Error(400, "Bad Request"),
    };
    let (status, reason, body, head_only) = match route {
        Route::Metrics { head_only } => (200, "OK", collector.render(), head_only),
        Route::Error(code, reason) => (code, reason, format!("{reason}\n"), false),
    };
    let ctype = if status == 200 { "text/plain; version=0.0.4; charset=utf-8" } else { "text/plain; charset=utf-8" };
    let mut resp = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if !head_only {
        resp.push_str(&body);
    }
    s.write_all(resp.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_only_get_metrics() {
        assert_eq!(route("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), Route::Metrics { head_only: false });
        assert_eq!(route("GET /metrics?x=1 HTTP/1.0\r\n\r\n"), Route::Metrics { head_only: false });
        assert_eq!(route("HEAD /metrics HTTP/1.1\r\n\r\n"), Route::Metrics { head_only: true });
        assert_eq!(route("POST /metrics HTTP/1.1\r\n\r\n"), Route::Error(405, "Method Not Allowed"));
        assert_eq!(route("GET / HTTP/1.1\r\n\r\n"), Route::Error(404, "Not Found"));
        assert_eq!(route("hello\r\n\r\n"), Route::Error(400, "Bad Request"));
        assert_eq!(route("GET /metrics SMTP\r\n\r\n"), Route::Error(400, "Bad Request"));
    }
}
