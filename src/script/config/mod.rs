//! A tool's configuration: one main section of a Skytools `.ini` file (with `[DEFAULT]`, the
//! injected built-ins `job_name`, `service_name`, `config_dir`, `config_file`, `host_name`, and
//! `--set` overrides), read through typed getters whose errors name file, section and key.

pub mod ini;
mod values;

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

use ini::{interpolate, Ini, Section};
pub use values::{parse_bool, parse_bytes, parse_interval};

#[derive(Debug, Clone)]
pub struct Config {
    path: PathBuf,
    /// The section actually used (the first of the accepted names found in the file).
    section: String,
    accepted_sections: Vec<String>,
    ini: Ini,
    builtins: Section,
    overrides: Vec<(String, String)>,
}

impl Config {
    /// Loads `path`, using the first of `sections` present in it (`["londiste3", "londiste"]`).
    pub fn load(path: &Path, sections: &[&str], overrides: &[(String, String)]) -> Result<Config> {
        let ini = read_ini(path)?;
        let section = sections
            .iter()
            .find(|s| ini.sections.contains_key(**s))
            .ok_or_else(|| anyhow!("{}: wrong config file, no section '{}'", path.display(), sections.join("' or '")))?
            .to_string();
        let cfg = Config {
            path: path.to_path_buf(),
            builtins: builtins(path, &section),
            section,
            accepted_sections: sections.iter().map(|s| s.to_string()).collect(),
            ini,
            overrides: overrides.to_vec(),
        };
        for (k, _) in &cfg.overrides {
            cfg.get_opt(k)?;
        }
        Ok(cfg)
    }

    /// A config with no file behind it (tools such as qadmin, or tests).
    pub fn from_pairs(section: &str, pairs: &[(&str, &str)]) -> Config {
        let mut ini = Ini::default();
        ini.sections.insert(section.into(), pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        Config {
            path: PathBuf::from("<command line>"),
            section: section.into(),
            accepted_sections: vec![section.into()],
            builtins: Section::new(),
            ini,
            overrides: Vec::new(),
        }
    }

    /// Re-reads the same file (SIGHUP): keys that disappeared keep their old value until restart.
    pub fn reload(&mut self) -> Result<()> {
        let newer = read_ini(&self.path)?;
        if !self.accepted_sections.iter().any(|s| newer.sections.contains_key(s)) {
            bail!("{}: wrong config file, no section '{}'", self.path.display(), self.section);
        }
        self.ini.merge(newer);
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn section(&self) -> &str {
        &self.section
    }

    fn raw(&self, key: &str) -> Option<String> {
        let key = key.to_lowercase();
        if let Some((_, v)) = self.overrides.iter().rev().find(|(k, _)| k.to_lowercase() == key) {
            return Some(v.clone());
        }
        self.ini
            .sections
            .get(&self.section)
            .and_then(|s| s.get(&key))
            .or_else(|| self.ini.defaults.get(&key))
            .or_else(|| self.builtins.get(&key))
            .cloned()
    }

    fn where_(&self, key: &str) -> String {
        format!("{} [{}] {}", self.path.display(), self.section, key)
    }

    /// The interpolated value, or None when the key is absent.
    pub fn get_opt(&self, key: &str) -> Result<Option<String>> {
        let Some(raw) = self.raw(key) else { return Ok(None) };
        interpolate(&raw, &|name| self.raw(name)).map(Some).map_err(|e| anyhow!("{}: {e}", self.where_(key)))
    }

    /// A required value: absent is `Config value not set: <key>` with file and section.
    pub fn get(&self, key: &str) -> Result<String> {
        self.get_opt(key)?.ok_or_else(|| anyhow!("{}: config value not set", self.where_(key)))
    }

    pub fn get_or(&self, key: &str, default: &str) -> Result<String> {
        Ok(self.get_opt(key)?.unwrap_or_else(|| default.to_string()))
    }

    fn typed<T>(&self, key: &str, default: Option<T>, what: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
        match self.get_opt(key)? {
            Some(v) => parse(v.trim()).ok_or_else(|| anyhow!("{}: bad {what} value '{v}'", self.where_(key))),
            None => default.ok_or_else(|| anyhow!("{}: config value not set", self.where_(key))),
        }
    }

    pub fn get_int(&self, key: &str, default: Option<i64>) -> Result<i64> {
        self.typed(key, default, "integer", |v| v.parse().ok())
    }

    pub fn get_float(&self, key: &str, default: Option<f64>) -> Result<f64> {
        self.typed(key, default, "number", |v| v.parse().ok())
    }

    pub fn get_bool(&self, key: &str, default: Option<bool>) -> Result<bool> {
        self.typed(key, default, "boolean", parse_bool)
    }

    /// Seconds, fractional allowed, with optional unit (`500ms`, `30s`, `5min`, `2h`, `1d`).
    pub fn get_interval(&self, key: &str, default: Option<f64>) -> Result<f64> {
        self.typed(key, default, "time interval", parse_interval)
    }

    /// Byte sizes with human units (`3K`, `4 MB`).
    pub fn get_bytes(&self, key: &str, default: Option<u64>) -> Result<u64> {
        self.typed(key, default, "size", parse_bytes)
    }

    /// Comma-separated list, items stripped, empty items dropped.
    pub fn get_list(&self, key: &str, default: &[&str]) -> Result<Vec<String>> {
        Ok(match self.get_opt(key)? {
            Some(v) => v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect(),
            None => default.iter().map(|s| s.to_string()).collect(),
        })
    }

    /// A file path: `~` expanded (except for `""` and `-`).
    pub fn get_path(&self, key: &str) -> Result<Option<PathBuf>> {
        Ok(self.get_opt(key)?.filter(|v| !v.is_empty()).map(|v| expand_home(&v)))
    }

    /// Keys (lower-cased) visible in the main section, defaults and overrides included.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.ini.defaults.keys().cloned().collect();
        if let Some(s) = self.ini.sections.get(&self.section) {
            keys.extend(s.keys().cloned());
        }
        keys.extend(self.overrides.iter().map(|(k, _)| k.to_lowercase()));
        keys.sort();
        keys.dedup();
        keys
    }

    /// Raw access to another section of the same file (scriptmgr, queue_loader).
    pub fn other_section(&self, name: &str) -> Option<&Section> {
        self.ini.sections.get(name)
    }
}

fn read_ini(path: &Path) -> Result<Ini> {
    let text = std::fs::read_to_string(path).with_context(|| format!("config file not found: {}", path.display()))?;
    Ini::parse(&text).map_err(|e| anyhow!("{}:{}: {}", path.display(), e.line, e.message))
}

fn builtins(path: &Path, section: &str) -> Section {
    let job = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let dir = path.parent().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
    let host = nix::unistd::gethostname().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default();
    [
        ("job_name", job),
        ("service_name", section.to_string()),
        ("config_dir", if dir.is_empty() { ".".into() } else { dir }),
        ("config_file", path.to_string_lossy().into_owned()),
        ("host_name", host),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Expands a leading `~` the way Python's os.path.expanduser does; `-` and `""` stay as they are.
pub fn expand_home(value: &str) -> PathBuf {
    if value == "~" || value.starts_with("~/") {
        if let Some(home) = std::env::var_os("HOME") {
            return PathBuf::from(home).join(value.trim_start_matches('~').trim_start_matches('/'));
        }
    }
    PathBuf::from(value)
}

/// Splits `--set key=value` at the first `=`, both sides stripped.
pub fn parse_override(arg: &str) -> Result<(String, String)> {
    let (k, v) = arg.split_once('=').ok_or_else(|| anyhow!("--set needs key=value, got '{arg}'"))?;
    let k = k.trim();
    if k.is_empty() {
        bail!("--set needs key=value, got '{arg}'");
    }
    Ok((k.to_lowercase(), v.trim().to_string()))
}
