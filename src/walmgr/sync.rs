//! Partial WAL shipping: `sync` (one pass), `syncdaemon` (a pass every loop_delay) on the
//! master, `xpartialsync` on the slave. A pass copies the new bytes of the segment being written
//! (up to pg_current_wal_lsn) and any finished but not yet archived segment into partial_wals,
//! so a standby booted after the master's loss replays all but the last loop_delay of work.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::config::WalConfig;
use super::store::sync_dir;
use super::transfer::{remote_walmgr_argv, Location};
use super::walname::is_segment;
use crate::script::connstr::ConnStr;
use crate::script::db::{self, ManagedConn};
use crate::script::runner::{Ctx, Job, Work};

/// What the slave already holds of the segment being written.
#[derive(Debug, Clone, PartialEq)]
struct Shipped {
    name: String,
    upto: u64,
}

pub struct SyncJob {
    wc: WalConfig,
    conn: ManagedConn,
    current: Option<Shipped>,
    /// Finished segments already shipped whole, while they wait for the archiver.
    whole: HashSet<String>,
}

impl SyncJob {
    pub fn new(wc: WalConfig) -> Result<SyncJob> {
        let conn = ManagedConn::new(ConnStr::parse(&wc.master().master_db)?, "walmgr sync", Duration::from_secs(1200));
        Ok(SyncJob { wc, conn, current: None, whole: HashSet::new() })
    }

    fn pass(&mut self, ctx: Option<&mut Ctx>) -> Result<()> {
        let c = self.conn.get()?;
        let row = c.query_one(
            "select file_name, file_offset::bigint, \
                    (select setting::bigint from pg_settings where name = 'wal_segment_size'), \
                    pg_is_in_recovery() \
               from pg_walfile_name_offset(pg_current_wal_lsn())",
            &[],
        );
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                self.conn.reset();
                return Err(e).context("asking for the current WAL position");
            }
        };
        let (name, offset, segsize, in_recovery): (String, i64, i64, bool) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        if in_recovery {
            bail!("the master is in recovery, nothing to sync");
        }
        let segsize = segsize as u64;
        // At an exact segment boundary the function names the finished segment with offset 0.
        let offset = if offset == 0 { segsize } else { offset as u64 };
        let mut bytes = 0;
        let ready = ready_segments(&self.wc.master().master_data)?;
        self.whole.retain(|n| ready.contains(n));
        for seg in &ready {
            if !self.whole.contains(seg) && *seg != name {
                bytes += self.ship(seg, 0, segsize, segsize)?;
                self.whole.insert(seg.clone());
            }
        }
        let switched = self.current.as_ref().is_some_and(|s| s.name != name);
        let from = match &self.current {
            Some(s) if s.name == name => s.upto,
            Some(s) => {
                // The previous segment was finished since the last pass: its tail first.
                if !self.whole.contains(&s.name) {
                    bytes += self.ship(&s.name.clone(), s.upto, segsize, segsize).unwrap_or(0);
                }
                0
            }
            None => 0,
        };
        self.current = None;
        if offset > from {
            bytes += self.ship(&name, from, offset, segsize)?;
        }
        self.current = Some(Shipped { name, upto: offset });
        if let (true, Location::Local(partial), Location::Local(completed)) =
            (switched, &self.wc.storage.partial_wals, &self.wc.storage.completed_wals)
        {
            super::purge::prune_partials(partial, completed)?;
        }
        if let Some(ctx) = ctx {
            ctx.stat_add("bytes", bytes as f64);
        }
        Ok(())
    }

    /// Sends bytes [from, to) of a pg_wal file to the slave's partial_wals.
    fn ship(&self, name: &str, from: u64, to: u64, segsize: u64) -> Result<u64> {
        let path = self.wc.master().master_data.join("pg_wal").join(name);
        let mut f = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
        f.seek(SeekFrom::Start(from))?;
        let len = to - from;
        let mut part = f.take(len);
        match &self.wc.storage.partial_wals {
            Location::Local(dir) => write_partial(dir, name, from, len, segsize, &mut part)?,
            Location::Remote { host, .. } => {
                let args = ["xpartialsync".into(), name.into(), from.to_string(), len.to_string(), segsize.to_string()];
                let argv = remote_walmgr_argv(&self.wc, host, &args)?;
                let mut child = Command::new(&argv[0]).args(&argv[1..]).stdin(Stdio::piped()).spawn()?;
                std::io::copy(&mut part, child.stdin.as_mut().expect("piped"))?;
                drop(child.stdin.take());
                let st = child.wait()?;
                if !st.success() {
                    bail!("xpartialsync on {host} failed ({st})");
                }
            }
        }
        log::debug!("{name}: shipped bytes {from}..{to}");
        Ok(len)
    }
}

impl Job for SyncJob {
    fn work(&mut self, ctx: &mut Ctx) -> Result<Work> {
        if let Err(e) = self.pass(Some(ctx)) {
            // Ship from the segment start next time: the slave's copy may be incomplete.
            self.current = None;
            self.whole.clear();
            return Err(e);
        }
        Ok(Work::Idle)
    }
}

/// One pass. When the master is not running (stopped, or dead with its disk still readable)
/// it cannot be asked where it writes; then every segment from its last checkpoint's REDO
/// file on that really holds WAL for its own position, and every finished one not archived
/// yet, is shipped whole: a slave booted afterwards gets every transaction the master wrote.
pub fn sync_once(wc: &WalConfig) -> Result<()> {
    let mut job = SyncJob::new(wc.clone())?;
    let err = match job.pass(None) {
        Ok(()) => return Ok(()),
        Err(e) => e,
    };
    let m = wc.master();
    if super::restore::running_pid(&m.master_data).is_some() {
        return Err(err);
    }
    log::info!("the master is not running ({}); shipping its WAL from pg_wal", db::anyhow_text(&err));
    let bin = m.master_bin.clone().unwrap_or_else(|| super::config::guess_bindir(&m.master_data));
    let (redo, segsize) = last_redo(&bin, &m.master_data)?;
    let pg_wal = m.master_data.join("pg_wal");
    let ready = ready_segments(&m.master_data)?;
    let mut names: Vec<String> = std::fs::read_dir(&pg_wal)
        .with_context(|| format!("reading {}", pg_wal.display()))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| is_segment(n) && (ready.contains(n) || (n[..8] == redo[..8] && n.as_str() >= redo.as_str())))
        .collect();
    names.sort();
    let mut shipped = Vec::new();
    for name in names {
        // Recycled segments carry a future name over old contents, pre-allocated ones zeros.
        if holds_own_wal(&pg_wal.join(&name), &name, segsize)? {
            job.ship(&name, 0, segsize, segsize)?;
            shipped.push(name);
        }
    }
    log::info!("shipped {}", if shipped.is_empty() { "nothing".into() } else { shipped.join(", ") });
    Ok(())
}

/// The REDO WAL file of a stopped cluster's last checkpoint (where recovery would start) and
/// the segment size, from pg_controldata.
fn last_redo(bin: &Path, data: &Path) -> Result<(String, u64)> {
    let exe = bin.join("pg_controldata");
    let out = Command::new(&exe).arg("-D").arg(data).output().with_context(|| format!("running {}", exe.display()))?;
    if !out.status.success() {
        bail!("pg_controldata failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| text.lines().find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()));
    match (field("Latest checkpoint's REDO WAL file:"), field("Bytes per WAL segment:").and_then(|b| b.parse().ok())) {
        (Some(redo), Some(segsize)) if is_segment(&redo) => Ok((redo, segsize)),
        _ => bail!("pg_controldata shows no REDO WAL file or segment size"),
    }
}

/// Whether a pg_wal file's first page header names the file's own position: true for a segment
/// PostgreSQL has written in its current life.
fn holds_own_wal(path: &Path, name: &str, segsize: u64) -> Result<bool> {
    let mut head = [0u8; 16];
    let mut f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    if f.read_exact(&mut head).is_err() {
        return Ok(false);
    }
    // XLogPageHeaderData: magic u16, info u16, timeline u32, pageaddr u64 (host order).
    let pageaddr = u64::from_ne_bytes(head[8..16].try_into().expect("8 bytes"));
    let (hi, lo) = (u64::from_str_radix(&name[8..16], 16)?, u64::from_str_radix(&name[16..24], 16)?);
    let segno = hi * (0x1_0000_0000 / segsize) + lo;
    Ok(pageaddr == segno * segsize)
}

/// Segments PostgreSQL has finished but not archived yet.
fn ready_segments(master_data: &Path) -> Result<Vec<String>> {
    let dir = master_data.join("pg_wal/archive_status");
    let mut v: Vec<String> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().strip_suffix(".ready").map(String::from))
        .filter(|n| is_segment(n))
        .collect();
    v.sort();
    Ok(v)
}

/// Writes `len` bytes from `input` at `offset` of `dir/name`, a file kept at full segment size
/// (zeros past the data end it for PostgreSQL), and makes them durable.
pub fn write_partial(dir: &Path, name: &str, offset: u64, len: u64, segsize: u64, input: &mut impl Read) -> Result<()> {
    super::xarchive::check_name(name)?;
    if offset + len > segsize {
        bail!("{name}: bytes {offset}..{} lie past the segment size {segsize}", offset + len);
    }
    let path = dir.join(name);
    let created = !path.exists();
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    if created {
        f.set_len(segsize)?;
    }
    f.seek(SeekFrom::Start(offset))?;
    let copied = std::io::copy(&mut input.take(len), &mut f).with_context(|| format!("writing {}", path.display()))?;
    if copied != len {
        bail!("{name}: got {copied} of {len} bytes");
    }
    f.flush()?;
    f.sync_data().with_context(|| format!("fsync of {}", path.display()))?;
    if created {
        sync_dir(dir)?;
    }
    Ok(())
}
