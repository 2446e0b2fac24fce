//! The periodic tick spoken directly on the ticker connection's socket: a fixed request (Bind,
//! Execute and Sync of the statement `pgqd_tick`, which the session PREPAREd) written in one
//! system call, and its reply parsed from the bytes read at the next slot. tokio-postgres
//! meanwhile keeps away from the socket (see `socket::Reading`). Going through the client
//! instead costs a request channel, a response channel, a row stream and two task wake-ups per
//! tick, about as much CPU as the system calls themselves; at a 10 ms ticker_period that is
//! most of what pgqd spends.

use std::fmt;

/// The name the session prepares the tick-every-queue statement under.
pub const STATEMENT: &str = "pgqd_tick";

/// Bind (no parameters, results in binary), Execute (all rows) and Sync of `STATEMENT`.
pub fn request() -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    let mut bind = Vec::new();
    bind.push(0); // unnamed portal
    bind.extend_from_slice(STATEMENT.as_bytes());
    bind.push(0);
    bind.extend_from_slice(&0i16.to_be_bytes()); // parameter formats
    bind.extend_from_slice(&0i16.to_be_bytes()); // parameters
    bind.extend_from_slice(&1i16.to_be_bytes()); // one result format for all columns:
    bind.extend_from_slice(&1i16.to_be_bytes()); // binary
    message(&mut out, b'B', &bind);
    let mut execute = vec![0]; // unnamed portal
    execute.extend_from_slice(&0i32.to_be_bytes()); // no row limit
    message(&mut out, b'E', &execute);
    message(&mut out, b'S', &[]);
    out
}

fn message(out: &mut Vec<u8>, kind: u8, body: &[u8]) {
    out.push(kind);
    out.extend_from_slice(&(body.len() as i32 + 4).to_be_bytes());
    out.extend_from_slice(body);
}

/// A whole reply to `request`.
#[derive(Debug, Default, PartialEq)]
pub struct Reply {
    /// The row's columns (binary), or the server's error.
    pub outcome: Outcome,
    /// Notifications that came with it: (channel, payload).
    pub notifications: Vec<(String, String)>,
    /// Notices that came with it, as "SEVERITY: message".
    pub notices: Vec<String>,
}

#[derive(Debug, Default, PartialEq)]
pub enum Outcome {
    #[default]
    NoRow,
    Row(Vec<Option<Vec<u8>>>),
    Error(ServerError),
}

#[derive(Debug, Default, PartialEq)]
pub struct ServerError {
    pub severity: String,
    pub code: String,
    pub message: String,
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} (SQLSTATE {})", self.severity, self.message, self.code)
    }
}

impl std::error::Error for ServerError {}

/// Bytes that are not the reply of a tick: the connection is no longer in a known state.
#[derive(Debug, PartialEq)]
pub struct Desync(pub String);

impl fmt::Display for Desync {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unexpected reply to the tick: {}", self.0)
    }
}

impl std::error::Error for Desync {}

/// The reply in `buf` once it is complete (up to ReadyForQuery), consuming its bytes; None
/// while more is to come.
pub fn parse(buf: &mut Vec<u8>) -> Result<Option<Reply>, Desync> {
    let mut reply = Reply::default();
    let mut at = 0;
    let mut bound = false;
    loop {
        let Some((kind, body, next)) = frame(buf, at)? else { return Ok(None) };
        at = next;
        match kind {
            b'2' if !bound => bound = true,
            b'D' if bound => reply.outcome = Outcome::Row(data_row(body)?),
            b'C' if bound => {}
            b'E' => reply.outcome = Outcome::Error(error_fields(body)),
            b'Z' if bound || matches!(reply.outcome, Outcome::Error(_)) => {
                buf.drain(..at);
                return Ok(Some(reply));
            }
            b'A' => reply.notifications.push(notification(body)?),
            b'N' => {
                let n = error_fields(body);
                reply.notices.push(format!("{}: {}", n.severity, n.message));
            }
            b'S' => {} // a parameter changed: nothing the ticker uses
            other => return Err(Desync(format!("message '{}'", char::from(other).escape_default()))),
        }
    }
}

/// A message's type, its body and where the next one starts.
type Frame<'a> = (u8, &'a [u8], usize);

/// The message starting at `at`, once it is all there.
fn frame(buf: &[u8], at: usize) -> Result<Option<Frame<'_>>, Desync> {
    let Some(header) = buf.get(at..at + 5) else { return Ok(None) };
    let len = i32::from_be_bytes(header[1..5].try_into().expect("four bytes"));
    if !(4..=1 << 20).contains(&len) {
        return Err(Desync(format!("message length {len}")));
    }
    let end = at + 1 + len as usize;
    Ok(buf.get(at + 5..end).map(|body| (header[0], body, end)))
}

fn data_row(body: &[u8]) -> Result<Vec<Option<Vec<u8>>>, Desync> {
    let bad = || Desync("malformed data row".into());
    let n = i16::from_be_bytes(body.get(..2).ok_or_else(bad)?.try_into().expect("two bytes"));
    let mut at = 2;
    let mut cols = Vec::with_capacity(n.max(0) as usize);
    for _ in 0..n {
        let len = i32::from_be_bytes(body.get(at..at + 4).ok_or_else(bad)?.try_into().expect("four bytes"));
        at += 4;
        if len < 0 {
            cols.push(None);
        } else {
            cols.push(Some(body.get(at..at + len as usize).ok_or_else(bad)?.to_vec()));
            at += len as usize;
        }
    }
    Ok(cols)
}

fn error_fields(body: &[u8]) -> ServerError {
    let mut e = ServerError::default();
    for field in body.split(|&b| b == 0).filter(|f| !f.is_empty()) {
        let value = String::from_utf8_lossy(&field[1..]).into_owned();
        match field[0] {
            b'S' => e.severity = value,
            b'C' => e.code = value,
            b'M' => e.message = value,
            _ => {}
        }
    }
    e
}

fn notification(body: &[u8]) -> Result<(String, String), Desync> {
    let mut parts = body.get(4..).unwrap_or_default().split(|&b| b == 0);
    match (parts.next(), parts.next()) {
        (Some(channel), Some(payload)) => {
            Ok((String::from_utf8_lossy(channel).into_owned(), String::from_utf8_lossy(payload).into_owned()))
        }
        _ => Err(Desync("malformed notification".into())),
    }
}

impl Reply {
    /// Column `i` as a bigint (NULL and absent as 0).
    pub fn int8(&self, i: usize) -> i64 {
        match &self.outcome {
            Outcome::Row(cols) => {
                cols.get(i).and_then(|c| c.as_deref()).and_then(|b| b.try_into().ok()).map_or(0, i64::from_be_bytes)
            }
            _ => 0,
        }
    }

    /// Column `i` as a boolean (NULL and absent as false).
    pub fn boolean(&self, i: usize) -> bool {
        match &self.outcome {
            Outcome::Row(cols) => cols.get(i).and_then(|c| c.as_deref()) == Some(&[1]),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        message(&mut out, kind, body);
        out
    }

    fn row(cols: &[Option<&[u8]>]) -> Vec<u8> {
        let mut body = (cols.len() as i16).to_be_bytes().to_vec();
        for c in cols {
            match c {
                Some(v) => {
                    body.extend_from_slice(&(v.len() as i32).to_be_bytes());
                    body.extend_from_slice(v);
                }
                None => body.extend_from_slice(&(-1i32).to_be_bytes()),
            }
        }
        msg(b'D', &body)
    }

    fn ok_reply(ticked: i64, on_commit: bool) -> Vec<u8> {
        [
            msg(b'2', &[]),
            row(&[Some(&ticked.to_be_bytes()), Some(&[on_commit as u8])]),
            msg(b'C', b"SELECT 1\0"),
            msg(b'Z', b"I"),
        ]
        .concat()
    }

    #[test]
    fn the_request_is_bind_execute_sync_of_the_prepared_statement() {
        let r = request();
        assert_eq!(&r[..1], b"B");
        let bind_len = i32::from_be_bytes(r[1..5].try_into().unwrap()) as usize;
        assert_eq!(&r[5..16], b"\0pgqd_tick\0");
        assert_eq!(&r[1 + bind_len..2 + bind_len], b"E");
        assert_eq!(&r[r.len() - 5..], b"S\0\0\0\x04");
    }

    #[test]
    fn a_reply_is_read_once_whole_and_leaves_what_follows() {
        let whole = ok_reply(3, true);
        for cut in 0..whole.len() {
            let mut buf = whole[..cut].to_vec();
            assert_eq!(parse(&mut buf), Ok(None), "incomplete at {cut}");
            assert_eq!(buf.len(), cut, "nothing consumed");
        }
        let mut buf = [whole.clone(), b"Z".to_vec()].concat();
        let reply = parse(&mut buf).unwrap().unwrap();
        assert_eq!((reply.int8(0), reply.boolean(1)), (3, true));
        assert_eq!(buf, b"Z", "the next bytes stay");
        let reply = parse(&mut ok_reply(0, false)).unwrap().unwrap();
        assert_eq!((reply.int8(0), reply.boolean(1), reply.int8(5)), (0, false, 0));
    }

    #[test]
    fn errors_notices_and_notifications_are_reported() {
        let mut notify = 42i32.to_be_bytes().to_vec();
        notify.extend_from_slice(b"pgq_new_events\0q1\0");
        let mut buf = [
            msg(b'N', b"SWARNING\0C01000\0Mdubious\0\0"),
            msg(b'A', &notify),
            msg(b'S', b"TimeZone\0UTC\0"),
            msg(b'E', b"SERROR\0C42883\0Mfunction pgq.ticker() does not exist\0\0"),
            msg(b'Z', b"I"),
        ]
        .concat();
        let reply = parse(&mut buf).unwrap().unwrap();
        assert!(buf.is_empty());
        assert_eq!(reply.notices, ["WARNING: dubious"]);
        assert_eq!(reply.notifications, [("pgq_new_events".to_string(), "q1".to_string())]);
        match reply.outcome {
            Outcome::Error(e) => {
                assert_eq!(e.to_string(), "ERROR: function pgq.ticker() does not exist (SQLSTATE 42883)")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bytes_that_are_no_tick_reply_are_a_desync() {
        // A ReadyForQuery before BindComplete belongs to somebody else's request.
        assert!(parse(&mut [msg(b'Z', b"I"), ok_reply(1, false)].concat()).is_err());
        assert!(parse(&mut msg(b'T', b"\0\0")).is_err());
        assert!(parse(&mut vec![b'D', 0xff, 0, 0, 0]).is_err(), "negative length");
        assert!(parse(&mut [msg(b'2', &[]), msg(b'D', b"\0\x01\0\0\0\x09ab")].concat()).is_err(), "short column");
    }
}
