//! The life of a Skytools script: version and `--ini`, config, logging, `-r/-s/-k`, pidfile,
//! daemonizing, signals, then the work loop with `loop_delay`, retry after errors, a stats line
//! after each round, reload on HUP and a clean stop on INT/TERM.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, Result};

use super::cli::ScriptOptions;
use super::config::Config;
use super::daemon::{self, Pidfile, StartupReport};
use super::logging::{self, LogSettings, Style};
use super::signals::Signals;

/// What a tool tells the runner about itself.
pub struct ScriptSpec {
    /// The tool name for messages and `-V`.
    pub name: &'static str,
    /// Accepted main-section names, first match wins (`["londiste3", "londiste"]`).
    pub sections: &'static [&'static str],
    /// The annotated sample config printed by `--ini`.
    pub ini_template: &'static str,
    pub log_style: Style,
    /// Default `loop_delay` when the config has none.
    pub loop_delay: f64,
}

/// How the work loop should go on after one round.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Work {
    /// More is waiting: run again at once.
    Busy,
    /// Nothing to do: sleep `loop_delay`.
    Idle,
    /// The job is finished (one-shot commands).
    Done,
}

/// Per-round context handed to `Job::work`.
pub struct Ctx {
    pub signals: Signals,
    stats: BTreeMap<String, f64>,
}

impl Ctx {
    /// Adds to a stats counter, logged as `{key: value, ...}` after the round.
    pub fn stat_add(&mut self, key: &str, value: f64) {
        *self.stats.entry(key.to_string()).or_insert(0.0) += value;
    }

    pub fn stat_set(&mut self, key: &str, value: f64) {
        self.stats.insert(key.to_string(), value);
    }

    fn flush_stats(&mut self) {
        if self.stats.is_empty() {
            return;
        }
        let parts: Vec<String> = self.stats.iter().map(|(k, v)| format!("{k}: {}", fmt_stat(*v))).collect();
        log::info!("{{{}}}", parts.join(", "));
        self.stats.clear();
    }
}

fn fmt_stat(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.3}")
    }
}

/// A long-running job driven by the runner.
pub trait Job {
    /// Applies a reloaded config (SIGHUP). The default keeps the old settings.
    fn reload(&mut self, _cfg: &Config) -> Result<()> {
        Ok(())
    }
    /// One round of work.
    fn work(&mut self, ctx: &mut Ctx) -> Result<Work>;
    /// Called once when the loop ends, also after errors.
    fn shutdown(&mut self) {}
}

/// Prints the version line the originals print: `<service> version X, Skytools version Y`.
pub fn version_line(name: &str) -> String {
    format!("{name} version {v}, Skytools version {v}", v = env!("CARGO_PKG_VERSION"))
}

/// `--ini`: the template with `--set` overrides merged in.
pub fn render_ini(template: &str, overrides: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut used = vec![false; overrides.len()];
    for line in template.lines() {
        let body = line.trim_start_matches('#').trim_start();
        let key = body.split_once('=').map(|(k, _)| k.trim().to_lowercase());
        match key.and_then(|k| overrides.iter().position(|(ok, _)| *ok == k)) {
            Some(i) => {
                if !line.starts_with('#') {
                    out.push_str(&format!("#{line}\n"));
                }
                out.push_str(&format!("{} = {}\n", overrides[i].0, overrides[i].1));
                used[i] = true;
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    for (i, (k, v)) in overrides.iter().enumerate() {
        if !used[i] {
            out.push_str(&format!("{k} = {v}\n"));
        }
    }
    out
}

/// Handles everything up to the point where the tool's own work begins: `-V`, `--ini`, config,
/// logging, and `-r/-s/-k`. Returns `Err(code)` when the process should exit now.
pub fn prepare(spec: &ScriptSpec, opts: &ScriptOptions) -> Result<(Config, LogSettings), ExitCode> {
    if opts.version {
        println!("{}", version_line(spec.name));
        return Err(ExitCode::SUCCESS);
    }
    if opts.print_ini {
        print!("{}", render_ini(spec.ini_template, &opts.overrides));
        return Err(ExitCode::SUCCESS);
    }
    let Some(path) = &opts.config else {
        eprintln!("need config file, use --help for help.");
        return Err(ExitCode::from(1));
    };
    let cfg = Config::load(path, spec.sections, &opts.overrides).map_err(|e| fail(spec, &e))?;
    let settings = log_settings(spec, opts, &cfg).map_err(|e| fail(spec, &e))?;
    logging::configure(settings.clone()).map_err(|e| fail(spec, &e))?;
    if let Some(sig) = opts.send_signal {
        let Some(pidfile) = cfg.get_path("pidfile").map_err(|e| fail(spec, &e))? else {
            eprintln!("{}: no pidfile in config, nothing to do", spec.name);
            return Err(ExitCode::from(1));
        };
        return Err(match daemon::signal_pidfile(&pidfile, sig) {
            Ok(msg) => {
                log::info!("{msg}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(spec, &e),
        });
    }
    Ok((cfg, settings))
}

fn fail(spec: &ScriptSpec, e: &anyhow::Error) -> ExitCode {
    eprintln!("{}: {}", spec.name, super::db::anyhow_text(e));
    ExitCode::from(1)
}

/// Log settings from switches and config keys (`logfile`, `log_size`, `log_count`).
pub fn log_settings(spec: &ScriptSpec, opts: &ScriptOptions, cfg: &Config) -> Result<LogSettings> {
    Ok(LogSettings {
        style: spec.log_style,
        verbose: opts.verbose,
        quiet: opts.quiet,
        console: true,
        logfile: cfg.get_path("logfile")?,
        log_size: cfg.get_bytes("log_size", Some(10 * 1024 * 1024))?,
        log_count: cfg.get_int("log_count", Some(3))?.max(0) as u32,
    })
}

/// The process after `prepare`: pidfile, daemon, signals. Kept alive for the whole run.
pub struct Running {
    pub signals: Signals,
    _pidfile: Option<Pidfile>,
    report: StartupReport,
}

impl Running {
    /// Tells a waiting parent (with `-d`) that start-up succeeded.
    pub fn started(&mut self) {
        self.report.ok();
    }

    /// Tells a waiting parent that start-up failed, with the message.
    pub fn failed(&mut self, msg: &str) {
        self.report.failed(msg);
    }
}

/// Pidfile check, fork and setsid with `-d`, pidfile write, logging without console, signals.
pub fn start(spec: &ScriptSpec, opts: &ScriptOptions, cfg: &Config, mut settings: LogSettings) -> Result<Running> {
    let pidfile_path = cfg.get_path("pidfile")?;
    if opts.daemon && pidfile_path.is_none() {
        return Err(anyhow!("daemon needs pidfile ({} [{}] pidfile)", cfg.path().display(), cfg.section()));
    }
    if let Some(p) = &pidfile_path {
        daemon::check_pidfile(p)?;
    }
    let report = if opts.daemon {
        let report = daemon::daemonize()?;
        settings.console = false;
        logging::configure(settings)?;
        report
    } else {
        StartupReport::none()
    };
    let mut running = Running { signals: Signals::default(), _pidfile: None, report };
    let result = (|| -> Result<()> {
        if let Some(p) = &pidfile_path {
            running._pidfile = Some(Pidfile::create(p)?);
        }
        running.signals = Signals::install()?;
        running.signals.set_pidfile(pidfile_path.clone());
        Ok(())
    })();
    if let Err(e) = result {
        running.failed(&format!("{}: {e:#}", spec.name));
        return Err(e);
    }
    Ok(running)
}

/// The whole life of a looping script: prepare, start, build the job, loop, shut down.
pub fn run_job<J: Job>(
    spec: &ScriptSpec,
    opts: &ScriptOptions,
    make_job: impl FnOnce(&Config, &Signals) -> Result<J>,
) -> ExitCode {
    let (mut cfg, settings) = match prepare(spec, opts) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let mut running = match start(spec, opts, &cfg, settings) {
        Ok(r) => r,
        Err(e) => return fail(spec, &e),
    };
    let mut job = match make_job(&cfg, &running.signals) {
        Ok(j) => j,
        Err(e) => {
            let msg = super::db::anyhow_text(&e);
            log::error!("{msg}");
            running.failed(&format!("{}: {msg}", spec.name));
            return ExitCode::from(1);
        }
    };
    running.started();
    let code = work_loop(spec, &mut cfg, &mut job, &running.signals);
    job.shutdown();
    code
}

fn work_loop<J: Job>(spec: &ScriptSpec, cfg: &mut Config, job: &mut J, signals: &Signals) -> ExitCode {
    let job_name = cfg.get_or("job_name", spec.name).unwrap_or_else(|_| spec.name.to_string());
    let mut ctx = Ctx { signals: signals.clone(), stats: BTreeMap::new() };
    loop {
        if signals.take_reload() {
            match cfg.reload().and_then(|()| job.reload(cfg)) {
                Ok(()) => log::info!("Config reloaded"),
                Err(e) => log::error!("Config reload failed, keeping the old one: {}", super::db::anyhow_text(&e)),
            }
        }
        if signals.stop_requested() {
            return exit_code(signals);
        }
        let loop_delay = cfg.get_interval_signed("loop_delay", spec.loop_delay);
        let result = job.work(&mut ctx);
        ctx.flush_stats();
        match result {
            Ok(Work::Busy) => continue,
            Ok(Work::Done) => return exit_code(signals),
            Ok(Work::Idle) => {
                if loop_delay <= 0.0 {
                    return exit_code(signals);
                }
                signals.sleep(Duration::from_secs_f64(loop_delay));
            }
            Err(e) => {
                log::error!("Job {job_name} crashed: {}", super::db::anyhow_text(&e));
                if loop_delay <= 0.0 || signals.stop_requested() {
                    return ExitCode::from(1);
                }
                let pause = cfg.get_interval("exception_sleep", Some(20.0)).unwrap_or(20.0);
                signals.sleep(Duration::from_secs_f64(pause));
            }
        }
    }
}

fn exit_code(signals: &Signals) -> ExitCode {
    if signals.terminate_requested() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

impl Config {
    /// `loop_delay` may be negative (run once), so it is read as a plain signed float.
    fn get_interval_signed(&self, key: &str, default: f64) -> f64 {
        self.get_float(key, Some(default)).unwrap_or(default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_template_merges_overrides() {
        let t = "[x]\ndb = dbname=a\n#loop_delay = 1\n";
        let out = render_ini(
            t,
            &[("db".into(), "dbname=b".into()), ("loop_delay".into(), "5".into()), ("new".into(), "1".into())],
        );
        assert_eq!(out, "[x]\n#db = dbname=a\ndb = dbname=b\nloop_delay = 5\nnew = 1\n");
    }
}
