//! `data_maintainer3`: runs `sql_modify` for every row of a key list (from `sql_get_pk_list` or a
//! CSV file), in chunks, with optional before/after/crash/throttle queries. Batch data fixes
//! that must not hold long locks: one row per statement, commits per row or per chunk, stops
//! cleanly on SIGINT between rows.

mod params;
mod source;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{ArgMatches, Command};
use postgres::{Client, SimpleQueryMessage};

use crate::script::cli::{common_args, ScriptOptions};
use crate::script::config::Config;
use crate::script::db;
use crate::script::logging::Style;
use crate::script::runner::{run_job, Ctx, Job, ScriptSpec, Work};
use crate::script::signals::Signals;
use params::{bind, row_from_pg, Row};
use source::Source;

pub const ABOUT: &str = "run an update statement for each row of a key list, in small transactions";

const INI: &str = "\
[data_maintainer3]
job_name = data_maintainer_job

# where the list of keys comes from: a query on dbread, or a CSV file with a header line
dbread = dbname=sourcedb
sql_get_pk_list = select id from mytable where needs_fix
#fileread = keys.csv
#csv_delimiter = ,
#csv_quotechar = \"

# what runs for each row; %%(column)s are the row's values (%% doubled: ini interpolation)
dbwrite = dbname=targetdb
sql_modify = update mytable set fixed = true where id = %%(id)s

#sql_before_run = select max(id) as max_id from mytable
#dbbefore = dbname=targetdb
#sql_after_run = analyze mytable
#dbafter = dbname=targetdb
#after_zero_rows = 1
#sql_on_crash = select 1
#dbcrash = dbname=targetdb
# a true result sleeps 30 s, a number sleeps that many seconds, after every chunk
#sql_throttle = select 0
#dbthrottle = dbname=targetdb

#with_hold = 1
#fetch_count = 100
#autocommit = 1
#commit_delay = 0.0
# run once (negative) or repeat every loop_delay seconds
#loop_delay = -1
#logfile = ~/log/%(job_name)s.log
#pidfile = ~/pid/%(job_name)s.pid
";

const SPEC: ScriptSpec = ScriptSpec {
    name: "data_maintainer",
    sections: &["data_maintainer3", "data_maintainer"],
    ini_template: INI,
    log_style: Style::Python,
    loop_delay: -1.0,
};

pub fn cli() -> Command {
    common_args(Command::new("data_maintainer").about(ABOUT))
}

pub fn run(_invoked_as: &str, m: &ArgMatches) -> ExitCode {
    let opts = match ScriptOptions::from_matches(m) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("data_maintainer: {e:#}");
            return ExitCode::from(1);
        }
    };
    run_job(&SPEC, &opts, |cfg, _signals| Maintainer::from_config(cfg))
}

/// One SQL statement with the connection it runs on.
#[derive(Clone)]
struct Step {
    sql: String,
    connstr: String,
}

struct Settings {
    dbread: Option<String>,
    sql_get_pk_list: Option<String>,
    fileread: Option<std::path::PathBuf>,
    csv_delimiter: char,
    csv_quotechar: char,
    dbwrite: String,
    sql_modify: String,
    before: Option<Step>,
    after: Option<Step>,
    after_zero_rows: bool,
    on_crash: Option<Step>,
    throttle: Option<Step>,
    with_hold: bool,
    fetch_count: i64,
    autocommit: bool,
    commit_delay: f64,
    job_name: String,
}

fn step(cfg: &Config, sql_key: &str, db_key: &str, dbwrite: &str) -> Result<Option<Step>> {
    Ok(match cfg.get_opt(sql_key)? {
        Some(sql) if !sql.trim().is_empty() => Some(Step { sql, connstr: cfg.get_or(db_key, dbwrite)? }),
        _ => None,
    })
}

fn one_char(cfg: &Config, key: &str, default: char) -> Result<char> {
    let v = cfg.get_or(key, &default.to_string())?;
    let mut chars = v.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(c),
        _ => anyhow::bail!("{} [{}] {key}: must be one character, got '{v}'", cfg.path().display(), cfg.section()),
    }
}

impl Settings {
    fn from_config(cfg: &Config) -> Result<Settings> {
        let dbwrite = cfg.get("dbwrite")?;
        let fileread = cfg.get_path("fileread")?;
        let (dbread, sql_get_pk_list) = if fileread.is_some() {
            (None, None)
        } else {
            (Some(cfg.get("dbread")?), Some(cfg.get("sql_get_pk_list")?))
        };
        let fetch_default = cfg.get_int("fetchcnt", Some(100))?;
        Ok(Settings {
            dbread,
            sql_get_pk_list,
            fileread,
            csv_delimiter: one_char(cfg, "csv_delimiter", ',')?,
            csv_quotechar: one_char(cfg, "csv_quotechar", '"')?,
            sql_modify: cfg.get("sql_modify")?,
            before: step(cfg, "sql_before_run", "dbbefore", &dbwrite)?,
            after: step(cfg, "sql_after_run", "dbafter", &dbwrite)?,
            after_zero_rows: cfg.get_bool("after_zero_rows", Some(true))?,
            on_crash: step(cfg, "sql_on_crash", "dbcrash", &dbwrite)?,
            throttle: step(cfg, "sql_throttle", "dbthrottle", &dbwrite)?,
            with_hold: cfg.get_bool("with_hold", Some(true))?,
            fetch_count: cfg.get_int("fetch_count", Some(fetch_default))?.max(1),
            autocommit: cfg.get_bool("autocommit", Some(true))?,
            commit_delay: cfg.get_float("commit_delay", Some(0.0))?.max(0.0),
            job_name: cfg.get("job_name")?,
            dbwrite,
        })
    }
}

struct Maintainer {
    s: Settings,
}

impl Maintainer {
    fn from_config(cfg: &Config) -> Result<Maintainer> {
        Ok(Maintainer { s: Settings::from_config(cfg)? })
    }

    fn connect(&self, connstr: &str) -> Result<Client> {
        db::connect_str(connstr, &self.s.job_name)
    }

    /// Runs one statement and returns its first result row, if any.
    fn query_row(client: &mut Client, sql: &str) -> Result<Option<Row>> {
        let msgs = client.simple_query(sql)?;
        Ok(msgs.iter().find_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(row_from_pg(r)),
            _ => None,
        }))
    }

    fn run_step(&self, step: &Step, params: &Row) -> Result<Option<Row>> {
        let mut client = self.connect(&step.connstr)?;
        Self::query_row(&mut client, &bind(&step.sql, params)?)
    }

    fn throttle(&self, params: &Row, signals: &Signals) -> Result<()> {
        let Some(step) = &self.s.throttle else { return Ok(()) };
        let row = self.run_step(step, params)?;
        let value = row.and_then(|r| r.into_values().next().flatten()).unwrap_or_default();
        let secs = match value.as_str() {
            "t" | "true" => 30.0,
            "f" | "false" | "" => 0.0,
            n => n.parse::<f64>().with_context(|| format!("sql_throttle returned '{n}', not a bool or number"))?,
        };
        if secs > 0.0 {
            log::debug!("throttling for {secs} s");
            signals.sleep(Duration::from_secs_f64(secs));
        }
        Ok(())
    }

    /// The whole pass over the key list. Returns (rows counted, stopped by signal).
    fn pass(&self, ctx: &mut Ctx) -> Result<(i64, bool)> {
        let start = Instant::now();
        let mut params = match &self.s.before {
            Some(step) => self.run_step(step, &Row::new())?.unwrap_or_default(),
            None => Row::new(),
        };
        let mut source = match &self.s.fileread {
            Some(path) => Source::open_csv(path, self.s.csv_delimiter, self.s.csv_quotechar)?,
            None => {
                let client = self.connect(self.s.dbread.as_deref().expect("dbread set without fileread"))?;
                let sql = bind(self.s.sql_get_pk_list.as_deref().expect("set with dbread"), &params)?;
                Source::open_db(client, &sql, self.s.with_hold, self.s.fetch_count)?
            }
        };
        let mut writer = self.connect(&self.s.dbwrite)?;
        let mut count = 0i64;
        let mut last_report = Instant::now();
        let mut stopped = false;
        'chunks: loop {
            let rows = source.fetch()?;
            if rows.is_empty() {
                break;
            }
            if !self.s.autocommit {
                writer.batch_execute("begin")?;
            }
            for row in rows {
                if ctx.signals.stop_requested() {
                    stopped = true;
                    break;
                }
                let mut merged = params.clone();
                merged.extend(row);
                let sql = bind(&self.s.sql_modify, &merged)?;
                let result = Self::query_row(&mut writer, &sql).context("sql_modify")?;
                count += count_of(result, ctx);
                if self.s.autocommit && self.s.commit_delay > 0.0 {
                    ctx.signals.sleep(Duration::from_secs_f64(self.s.commit_delay));
                }
            }
            if !self.s.autocommit {
                writer.batch_execute("commit")?;
                if self.s.commit_delay > 0.0 {
                    ctx.signals.sleep(Duration::from_secs_f64(self.s.commit_delay));
                }
            }
            if stopped {
                break 'chunks;
            }
            if last_report.elapsed() >= Duration::from_secs(60) {
                log::info!("--- Running count: {count} duration: {:.3} ---", start.elapsed().as_secs_f64());
                last_report = Instant::now();
            }
            self.throttle(&params, &ctx.signals)?;
        }
        source.close();
        log::info!("--- Total count: {count} duration: {:.3} ---", start.elapsed().as_secs_f64());
        if let Some(step) = &self.s.after {
            if !stopped && (count > 0 || self.s.after_zero_rows) {
                params.insert("count".into(), Some(count.to_string()));
                self.run_step(step, &params)?;
            }
        }
        Ok((count, stopped))
    }
}

/// A `cnt` column counts that many rows; a `stats` column (urlencoded) adds its counters.
fn count_of(result: Option<Row>, ctx: &mut Ctx) -> i64 {
    let Some(row) = result else { return 1 };
    if let Some(Some(stats)) = row.get("stats") {
        for pair in stats.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, "1"));
            if let Ok(n) = v.parse::<f64>() {
                ctx.stat_add(k, n);
            }
        }
    }
    match row.get("cnt") {
        Some(Some(c)) => c.parse().unwrap_or(1),
        Some(None) => 0,
        None => 1,
    }
}

impl Job for Maintainer {
    fn reload(&mut self, cfg: &Config) -> Result<()> {
        self.s = Settings::from_config(cfg)?;
        Ok(())
    }

    fn work(&mut self, ctx: &mut Ctx) -> Result<Work> {
        let start = Instant::now();
        match self.pass(ctx) {
            Ok((count, stopped)) => {
                ctx.stat_add("count", count as f64);
                ctx.stat_set("duration", start.elapsed().as_secs_f64());
                Ok(if stopped { Work::Done } else { Work::Idle })
            }
            Err(e) => {
                if let Some(step) = &self.s.on_crash {
                    if let Err(e2) = self.run_step(step, &Row::new()) {
                        log::error!("sql_on_crash failed too: {}", db::anyhow_text(&e2));
                    }
                }
                Err(e)
            }
        }
    }
}
