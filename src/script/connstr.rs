//! libpq-style connection strings, as Skytools configs write them (`dbname=x host=y`), turned
//! into a `postgres::Config` the libpq way: unix-socket default, `PG*` environment variables,
//! `~/.pgpass`, OS user as default user. Nothing else connects from a raw string, and nothing
//! prints one except through `redacted`, which hides the password.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use postgres::config::SslMode;

/// libpq's compiled-in socket directory on Debian.
const DEFAULT_SOCKET_DIR: &str = "/var/run/postgresql";
const DEFAULT_CONNECT_TIMEOUT: u64 = 15;

/// Parsed keyword/value pairs of a connection string, in the order libpq would apply them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnStr {
    params: BTreeMap<String, String>,
}

const KNOWN: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "connect_timeout",
    "application_name",
    "fallback_application_name",
    "sslmode",
    "options",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "target_session_attrs",
    "client_encoding",
];

impl ConnStr {
    /// Parses `key=value key2='quoted value'` or a `postgres://` URI.
    pub fn parse(s: &str) -> Result<ConnStr> {
        let s = s.trim();
        let params = if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            parse_uri(s)?
        } else {
            parse_keywords(s)?
        };
        for k in params.keys() {
            if !KNOWN.contains(&k.as_str()) {
                bail!("invalid connection option \"{k}\" in connect string: {}", redact_params(&params));
            }
        }
        Ok(ConnStr { params })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    /// Returns a copy with `key` set (e.g. pgqd's `base_connstr` plus `dbname=`).
    pub fn with(&self, key: &str, value: &str) -> ConnStr {
        let mut c = self.clone();
        c.params.insert(key.to_string(), value.to_string());
        c
    }

    /// Sets `key` only when the string does not already have it.
    pub fn with_default(&self, key: &str, value: &str) -> ConnStr {
        let mut c = self.clone();
        c.params.entry(key.to_string()).or_insert_with(|| value.to_string());
        c
    }

    /// The effective database name, after environment defaults.
    pub fn dbname(&self) -> String {
        let user = self.effective("user", "PGUSER").unwrap_or_else(os_user);
        self.effective("dbname", "PGDATABASE").unwrap_or(user)
    }

    fn effective(&self, key: &str, env: &str) -> Option<String> {
        self.params.get(key).cloned().or_else(|| std::env::var(env).ok()).filter(|v| !v.is_empty())
    }

    /// The string for logs: same keys, password replaced by `[...]`.
    pub fn redacted(&self) -> String {
        redact_params(&self.params)
    }

    /// A `postgres::Config` with libpq's defaults filled in.
    pub fn to_config(&self, application_name: &str) -> Result<postgres::Config> {
        let mut cfg = postgres::Config::new();
        let host = self
            .effective("host", "PGHOST")
            .or_else(|| self.effective("hostaddr", "PGHOSTADDR"))
            .unwrap_or_else(|| DEFAULT_SOCKET_DIR.to_string());
        let port_s = self.effective("port", "PGPORT").unwrap_or_else(|| "5432".into());
        let port: u16 = port_s.parse().map_err(|_| anyhow!("invalid port number: \"{port_s}\""))?;
        let user = self.effective("user", "PGUSER").unwrap_or_else(os_user);
        let dbname = self.effective("dbname", "PGDATABASE").unwrap_or_else(|| user.clone());
        for h in host.split(',') {
            cfg.host(h.trim());
        }
        cfg.port(port).user(&user).dbname(&dbname);
        let password = self.effective("password", "PGPASSWORD").or_else(|| {
            let passfile = self.effective("passfile", "PGPASSFILE").map(PathBuf::from).or_else(default_passfile)?;
            pgpass_lookup(&passfile, &host, &port_s, &dbname, &user)
        });
        if let Some(p) = password {
            cfg.password(p);
        }
        let timeout = self
            .effective("connect_timeout", "PGCONNECT_TIMEOUT")
            .unwrap_or_else(|| DEFAULT_CONNECT_TIMEOUT.to_string());
        let timeout: u64 = timeout.parse().map_err(|_| anyhow!("invalid connect_timeout: \"{timeout}\""))?;
        if timeout > 0 {
            cfg.connect_timeout(Duration::from_secs(timeout.max(2)));
        }
        let app = self.effective("application_name", "PGAPPNAME").unwrap_or_else(|| application_name.to_string());
        if !app.is_empty() {
            cfg.application_name(&app);
        }
        if let Some(opts) = self.effective("options", "PGOPTIONS") {
            cfg.options(&opts);
        }
        cfg.ssl_mode(match self.effective("sslmode", "PGSSLMODE").as_deref() {
            None | Some("prefer") | Some("allow") => SslMode::Prefer,
            Some("disable") => SslMode::Disable,
            Some("require") => SslMode::Require,
            Some(other) => bail!("sslmode \"{other}\" is not supported (use disable, prefer or require)"),
        });
        cfg.keepalives(self.get("keepalives") != Some("0"));
        cfg.keepalives_idle(Duration::from_secs(self.secs("keepalives_idle", 240)?));
        if let Some(attrs) = self.get("target_session_attrs") {
            cfg.target_session_attrs(match attrs {
                "any" => postgres::config::TargetSessionAttrs::Any,
                "read-write" => postgres::config::TargetSessionAttrs::ReadWrite,
                other => bail!("target_session_attrs \"{other}\" is not supported"),
            });
        }
        Ok(cfg)
    }

    fn secs(&self, key: &str, default: u64) -> Result<u64> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| anyhow!("invalid {key}: \"{v}\"")),
        }
    }
}

impl std::fmt::Display for ConnStr {
    /// Display never shows the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

fn redact_params(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .map(|(k, v)| if k == "password" { format!("{k}=[...]") } else { format!("{k}={}", quote_value(v)) })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Quotes a value for a libpq keyword string when it needs it.
pub fn quote_value(v: &str) -> String {
    if !v.is_empty() && !v.contains(|c: char| c.is_whitespace() || c == '\'' || c == '\\') {
        return v.to_string();
    }
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn parse_keywords(s: &str) -> Result<BTreeMap<String, String>> {
    let mut params = BTreeMap::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            bail!("missing \"=\" after \"{key}\" in connection string");
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    None => bail!("unterminated quoted string in connection string"),
                    Some('\\') => value.extend(chars.next()),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                chars.next();
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        params.insert(key, value);
    }
    Ok(params)
}

fn parse_uri(s: &str) -> Result<BTreeMap<String, String>> {
    let mut params = BTreeMap::new();
    let rest = s.split_once("://").map(|x| x.1).unwrap_or_default();
    let (main, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = main.split_once('/').unwrap_or((main, ""));
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if let Some(u) = userinfo {
        let (user, pass) = u.split_once(':').map(|(a, b)| (a, Some(b))).unwrap_or((u, None));
        if !user.is_empty() {
            params.insert("user".into(), percent_decode(user)?);
        }
        if let Some(p) = pass {
            params.insert("password".into(), percent_decode(p)?);
        }
    }
    if !hostport.is_empty() {
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || hostport.starts_with('[') => (h, Some(p)),
            _ => (hostport, None),
        };
        if !host.is_empty() {
            params.insert("host".into(), percent_decode(host.trim_start_matches('[').trim_end_matches(']'))?);
        }
        if let Some(p) = port.filter(|p| !p.is_empty()) {
            params.insert("port".into(), p.to_string());
        }
    }
    if !path.is_empty() {
        params.insert("dbname".into(), percent_decode(path)?);
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').ok_or_else(|| anyhow!("bad URI query parameter \"{pair}\""))?;
        params.insert(percent_decode(k)?, percent_decode(v)?);
    }
    Ok(params)
}

fn percent_decode(s: &str) -> Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or_else(|| anyhow!("bad percent-encoding in URI"))?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| anyhow!("bad percent-encoding in URI"))?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| anyhow!("URI is not valid UTF-8"))
}

fn os_user() -> String {
    nix::unistd::User::from_uid(nix::unistd::geteuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| "postgres".into())
}

fn default_passfile() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| Path::new(&h).join(".pgpass"))
}

/// libpq's `.pgpass` rule: first line whose five fields match (`*` matches anything); a socket
/// path host matches `localhost` too. Files readable by others are ignored, as libpq does.
fn pgpass_lookup(file: &Path, host: &str, port: &str, db: &str, user: &str) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(file).ok()?;
    if meta.permissions().mode() & 0o077 != 0 {
        log::warn!("password file \"{}\" has group or world access; ignored", file.display());
        return None;
    }
    let text = std::fs::read_to_string(file).ok()?;
    let host_alts: Vec<&str> = if host.starts_with('/') { vec![host, "localhost"] } else { vec![host] };
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields = split_pgpass(line);
        if fields.len() < 5 {
            continue;
        }
        let m = |f: &str, v: &str| f == "*" || f == v;
        if host_alts.iter().any(|h| m(&fields[0], h)) && m(&fields[1], port) && m(&fields[2], db) && m(&fields[3], user)
        {
            return Some(fields[4..].join(":"));
        }
    }
    None
}

fn split_pgpass(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut().expect("non-empty").extend(chars.next()),
            ':' => fields.push(String::new()),
            c => fields.last_mut().expect("non-empty").push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keyword_strings_with_quotes() {
        let c = ConnStr::parse("dbname=x host = /tmp  password='a b\\'c' port=5433").unwrap();
        assert_eq!(c.get("dbname"), Some("x"));
        assert_eq!(c.get("host"), Some("/tmp"));
        assert_eq!(c.get("password"), Some("a b'c"));
        assert_eq!(c.redacted(), "dbname=x host=/tmp password=[...] port=5433");
    }

    #[test]
    fn parses_uris() {
        let c = ConnStr::parse("postgresql://bob:s%40cret@db.example:6543/app?sslmode=disable").unwrap();
        assert_eq!(c.get("user"), Some("bob"));
        assert_eq!(c.get("password"), Some("s@cret"));
        assert_eq!(c.get("host"), Some("db.example"));
        assert_eq!(c.get("port"), Some("6543"));
        assert_eq!(c.get("dbname"), Some("app"));
        assert!(!c.to_string().contains("s@cret"));
    }

    #[test]
    fn rejects_bad_strings() {
        assert!(ConnStr::parse("dbname").is_err());
        assert!(ConnStr::parse("dbname='x").is_err());
        let e = ConnStr::parse("dbname=x bogus=1 password=secret").unwrap_err().to_string();
        assert!(e.contains("bogus") && !e.contains("secret"), "{e}");
        assert!(ConnStr::parse("port=abc").unwrap().to_config("t").is_err());
    }

    #[test]
    fn pgpass_matches_wildcards_and_escapes() {
        let dir = std::env::temp_dir().join(format!("pgpass-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("pgpass");
        std::fs::write(&f, "# c\nother:*:*:*:no\nlocalhost:5432:*:bob:pa\\:ss\n").unwrap();
        std::fs::set_permissions(&f, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        assert_eq!(pgpass_lookup(&f, "/var/run/postgresql", "5432", "db", "bob").as_deref(), Some("pa:ss"));
        assert_eq!(pgpass_lookup(&f, "localhost", "5433", "db", "bob"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
