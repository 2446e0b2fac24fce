//! Log messages to the local syslog daemon, as the C tools' `syslog = 1` does: RFC 3164
//! datagrams `<PRI>ident[pid]: message` on `/dev/log`. With no syslog daemon listening the
//! messages are dropped quietly; the log file and stderr still get them.

use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;

use anyhow::{anyhow, Result};
use log::Level;

pub const DEFAULT_SOCKET: &str = "/dev/log";

pub struct Syslog {
    ident: String,
    facility: u8,
    path: PathBuf,
    sock: Option<UnixDatagram>,
}

/// Facility numbers of syslog(3) by name.
pub fn facility(name: &str) -> Option<u8> {
    Some(match name.to_lowercase().as_str() {
        "kern" => 0,
        "user" => 1,
        "mail" => 2,
        "daemon" => 3,
        "auth" => 4,
        "syslog" => 5,
        "lpr" => 6,
        "news" => 7,
        "uucp" => 8,
        "cron" => 9,
        "authpriv" => 10,
        "ftp" => 11,
        l if l.len() == 6 && l.starts_with("local") => {
            let n: u8 = l[5..].parse().ok()?;
            if n > 7 {
                return None;
            }
            16 + n
        }
        _ => return None,
    })
}

impl Syslog {
    pub fn new(ident: &str, facility_name: &str, path: PathBuf) -> Result<Syslog> {
        let facility = facility(facility_name).ok_or_else(|| anyhow!("unknown syslog facility '{facility_name}'"))?;
        Ok(Syslog { ident: ident.to_string(), facility, path, sock: None })
    }

    /// The datagram for one message.
    pub fn format(&self, level: Level, msg: &str) -> String {
        let severity = match level {
            Level::Error => 3,
            Level::Warn => 4,
            Level::Info => 6,
            Level::Debug | Level::Trace => 7,
        };
        format!("<{}>{}[{}]: {msg}", self.facility * 8 + severity, self.ident, std::process::id())
    }

    pub fn send(&mut self, level: Level, msg: &str) {
        if self.sock.is_none() {
            let Ok(s) = UnixDatagram::unbound() else { return };
            if s.connect(&self.path).is_err() {
                return;
            }
            self.sock = Some(s);
        }
        let line = self.format(level, msg);
        if let Some(s) = &self.sock {
            if s.send(line.as_bytes()).is_err() {
                // The daemon restarted: reconnect with the next message.
                self.sock = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_rfc3164_datagrams() {
        let dir = std::env::temp_dir().join(format!("syslog-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log");
        let server = UnixDatagram::bind(&path).unwrap();
        let mut s = Syslog::new("pgqd", "local0", path).unwrap();
        s.send(Level::Info, "hello");
        let mut buf = [0u8; 256];
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(std::str::from_utf8(&buf[..n]).unwrap(), format!("<134>pgqd[{}]: hello", std::process::id()));
        assert_eq!(facility("daemon"), Some(3));
        assert_eq!(facility("local8"), None);
        assert!(Syslog::new("x", "nosuch", PathBuf::from("/nonexistent")).is_err());
        let mut nobody = Syslog::new("x", "user", dir.join("nobody")).unwrap();
        nobody.send(Level::Error, "dropped quietly");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
