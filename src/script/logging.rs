//! Logging in the original tools' line formats, to stderr and an optional size-rotated log file.
//! Python tools: `2026-01-02 03:04:05,678 1234 INFO message`; pgqd (libusual):
//! `2026-01-02 03:04:05.678 UTC [1234] LOG message`. `-q` keeps warnings and errors only.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use log::{Level, LevelFilter, Log, Metadata, Record};

use super::syslog::Syslog;

/// Which of the original tools' line formats to write.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Style {
    Python,
    Libusual,
}

#[derive(Debug, Clone)]
pub struct LogSettings {
    pub style: Style,
    /// 0 = INFO, 1 = DEBUG, 2+ = TRACE; `quiet` overrides to WARNING.
    pub verbose: u8,
    pub quiet: bool,
    /// Write to stderr (off once daemonized).
    pub console: bool,
    pub logfile: Option<PathBuf>,
    /// Rotate the log file at this size, keeping `log_count` old files; 0 = never.
    pub log_size: u64,
    pub log_count: u32,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            style: Style::Python,
            verbose: 0,
            quiet: false,
            console: true,
            logfile: None,
            log_size: 10 * 1024 * 1024,
            log_count: 3,
        }
    }
}

impl LogSettings {
    pub fn level(&self) -> LevelFilter {
        match (self.quiet, self.verbose) {
            (true, _) => LevelFilter::Warn,
            (false, 0) => LevelFilter::Info,
            (false, 1) => LevelFilter::Debug,
            _ => LevelFilter::Trace,
        }
    }
}

struct Sink {
    settings: LogSettings,
    file: Option<File>,
    written: u64,
}

struct Logger {
    sink: Mutex<Sink>,
}

static LOGGER: OnceLock<Logger> = OnceLock::new();
/// Where messages of level info and above also go, for tools with a `syslog` setting.
static SYSLOG: Mutex<Option<Syslog>> = Mutex::new(None);

/// Also sends info, warning and error messages to syslog (None: stop).
pub fn set_syslog(target: Option<Syslog>) {
    *SYSLOG.lock().unwrap_or_else(|e| e.into_inner()) = target;
}

/// Installs the logger, or reconfigures it when already installed (SIGHUP, daemonizing).
pub fn configure(settings: LogSettings) -> anyhow::Result<()> {
    let file = match &settings.logfile {
        Some(path) => Some(open_log(path)?),
        None => None,
    };
    let written = file.as_ref().and_then(|f| f.metadata().ok()).map(|m| m.len()).unwrap_or(0);
    log::set_max_level(settings.level());
    let sink = Sink { settings, file, written };
    match LOGGER.get() {
        Some(logger) => *logger.sink.lock().unwrap_or_else(|e| e.into_inner()) = sink,
        None => {
            let logger = LOGGER.get_or_init(|| Logger { sink: Mutex::new(sink) });
            // A second installer (tests calling configure in one process) is harmless.
            let _ = log::set_logger(logger);
        }
    }
    Ok(())
}

fn open_log(path: &PathBuf) -> anyhow::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot open logfile {}: {e}", path.display()))
}

fn level_name(style: Style, level: Level) -> &'static str {
    match (style, level) {
        (_, Level::Error) => "ERROR",
        (_, Level::Warn) => "WARNING",
        (Style::Python, Level::Info) => "INFO",
        (Style::Libusual, Level::Info) => "LOG",
        (_, Level::Debug) => "DEBUG",
        (Style::Python, Level::Trace) => "TRACE",
        (Style::Libusual, Level::Trace) => "NOISE",
    }
}

/// Formats one line (without newline) in the given style.
pub fn format_line(style: Style, level: Level, msg: &str) -> String {
    let now = chrono::Local::now();
    let pid = std::process::id();
    let name = level_name(style, level);
    match style {
        Style::Python => format!("{} {pid} {name} {msg}", now.format("%Y-%m-%d %H:%M:%S,%3f")),
        Style::Libusual => {
            let msg = msg.replace('\n', "\n\t");
            // libusual prints the zone's abbreviation; chrono knows only the offset, which on
            // the usual UTC server is spelled the way libusual spells it.
            let zone = match now.offset().local_minus_utc() {
                0 => "UTC".to_string(),
                _ => now.format("%:z").to_string(),
            };
            format!("{} {zone} [{pid}] {name} {msg}", now.format("%Y-%m-%d %H:%M:%S%.3f"))
        }
    }
}

impl Sink {
    fn write(&mut self, line: &str) {
        if self.settings.console {
            let _ = writeln!(std::io::stderr(), "{line}");
        }
        if self.file.is_some() {
            if self.settings.log_size > 0 && self.written + line.len() as u64 + 1 > self.settings.log_size {
                self.rotate();
            }
            if let Some(f) = &mut self.file {
                if writeln!(f, "{line}").is_ok() {
                    self.written += line.len() as u64 + 1;
                }
            }
        }
    }

    /// `log` -> `log.1` -> ... -> `log.N`, as Python's RotatingFileHandler does.
    fn rotate(&mut self) {
        let Some(path) = self.settings.logfile.clone() else { return };
        let name = |i: u32| PathBuf::from(format!("{}.{i}", path.display()));
        if self.settings.log_count > 0 {
            for i in (1..self.settings.log_count).rev() {
                let _ = std::fs::rename(name(i), name(i + 1));
            }
            let _ = std::fs::rename(&path, name(1));
        } else {
            let _ = std::fs::remove_file(&path);
        }
        if let Ok(f) = open_log(&path) {
            self.file = Some(f);
            self.written = 0;
        }
    }
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        // Libraries' debug chatter (tokio_postgres logs every statement) would drown `-v`.
        metadata.level() <= log::max_level()
            && (metadata.level() <= Level::Info || metadata.target().starts_with(env!("CARGO_CRATE_NAME")))
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let msg = record.args().to_string();
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        let line = format_line(sink.settings.style, record.level(), &msg);
        sink.write(&line);
        drop(sink);
        if record.level() <= Level::Info {
            if let Some(s) = SYSLOG.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
                s.send(record.level(), &msg);
            }
        }
    }

    fn flush(&self) {
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = &mut sink.file {
            let _ = f.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_file_rotates_at_log_size_keeping_log_count_files() {
        let dir = std::env::temp_dir().join(format!("logrot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("job.log");
        let settings = LogSettings {
            console: false,
            logfile: Some(path.clone()),
            log_size: 100,
            log_count: 2,
            ..Default::default()
        };
        let mut sink = Sink { file: Some(open_log(&path).unwrap()), settings, written: 0 };
        for i in 0..20 {
            sink.write(&format!("line {i:02} padding padding padding"));
        }
        let current = std::fs::read_to_string(&path).unwrap();
        assert!(current.contains("line 19") && current.len() <= 100, "{current}");
        assert!(std::fs::read_to_string(dir.join("job.log.1")).unwrap().contains("line 1"));
        assert!(dir.join("job.log.2").exists());
        assert!(!dir.join("job.log.3").exists(), "only log_count old files are kept");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn line_formats_match_the_originals() {
        let py = format_line(Style::Python, Level::Warn, "hello");
        let parts: Vec<&str> = py.splitn(4, ' ').collect();
        assert_eq!(parts[1].len(), 12, "time with ,mmm: {py}");
        assert!(parts[1].contains(','));
        assert_eq!(parts[2], std::process::id().to_string());
        assert_eq!(parts[3], "WARNING hello");
        let lu = format_line(Style::Libusual, Level::Info, "a\nb");
        assert!(lu.contains(&format!("[{}] LOG a\n\tb", std::process::id())), "{lu}");
    }

    #[test]
    fn quiet_wins_over_verbose() {
        let s = LogSettings { quiet: true, verbose: 2, ..Default::default() };
        assert_eq!(s.level(), LevelFilter::Warn);
        assert_eq!(LogSettings { verbose: 1, ..Default::default() }.level(), LevelFilter::Debug);
    }
}
