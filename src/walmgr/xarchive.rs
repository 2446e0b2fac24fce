//! `xarchive SRCPATH NAME` (PostgreSQL's archive_command, master side) and `xreceive NAME CRC
//! SIZE` (its slave half when files travel by rsync). Any failure is exit 1, so PostgreSQL keeps
//! the segment and retries; exit codes above 125 would make the archiver itself die. With
//! `compression` the file is gzipped on the master, before it travels.

use std::fs::File;
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use super::config::WalConfig;
use super::periodic;
use super::store::{self, Format, Stored, Sum};
use super::transfer::{remote_walmgr_argv, rsync_argv, run_argv, Location};

/// Name of the file in master_data recording the last archived segment (its mtime is the time).
pub const LAST_FILE: &str = ".walshipping.last";

pub fn xarchive(wc: &WalConfig, src: &str, name: &str) -> Result<()> {
    check_name(name)?;
    let started = Instant::now();
    let m = wc.master();
    let st = &wc.storage;
    // PostgreSQL runs archive_command in the data directory and passes %p relative to it.
    let src_path = m.master_data.join(src);
    let format = if st.compression { Format::Gzip } else { Format::Plain };
    let outcome = match &st.completed_wals {
        Location::Local(dir) if !st.use_rsync => store::store(&src_path, dir, name, format)?,
        loc => {
            // A compressed file is made here and sent as it is (rsync -z would gain nothing).
            let packed = std::env::temp_dir().join(format!("walmgr-{}-{name}.gz", std::process::id()));
            let (sum, send) = match format {
                Format::Plain => (store::sum_of(&src_path)?, src_path.clone()),
                Format::Gzip => (store::write_file(&src_path, &packed, format)?, packed.clone()),
            };
            let sent = send_file(wc, loc, name, sum, &send);
            if format == Format::Gzip {
                let _ = std::fs::remove_file(&packed);
            }
            sent?
        }
    };
    match outcome {
        Stored::New(sum) => {
            log::info!("{name} archived ({} bytes, {:.3} s)", sum.size, started.elapsed().as_secs_f64())
        }
        Stored::AlreadyThere(_) => log::info!("{name} was already archived with identical contents"),
    }
    let last = m.master_data.join(LAST_FILE);
    if let Err(e) = std::fs::write(&last, format!("{name}\n")) {
        log::warn!("cannot record {}: {e}", last.display());
    }
    periodic::run_if_due(m);
    Ok(())
}

/// rsync to the slave's temporary name, then the slave's half: `xreceive` over ssh, or in-process.
fn send_file(wc: &WalConfig, loc: &Location, name: &str, sum: Sum, file: &Path) -> Result<Stored> {
    run_argv(&rsync_argv(
        &wc.storage.ssh_options,
        false,
        &[],
        &[file.to_string_lossy().into()],
        &loc.rsync_path(&incoming_name(name)),
    ))?;
    match loc {
        Location::Local(dir) => receive(dir, name, sum),
        Location::Remote { host, .. } => {
            let args = ["xreceive".into(), name.into(), format!("{:08x}", sum.crc32c), sum.size.to_string()];
            run_argv(&remote_walmgr_argv(wc, host, &args)?)?;
            Ok(Stored::New(sum))
        }
    }
}

/// Slave half of an rsync transfer: checks what arrived against the master's checksum, makes it
/// durable and publishes it under the same rules as a local copy.
pub fn xreceive(dir: &Path, name: &str, crc: &str, size: &str) -> Result<()> {
    check_name(name)?;
    let sum = Sum {
        crc32c: u32::from_str_radix(crc, 16).with_context(|| format!("bad checksum '{crc}'"))?,
        size: size.parse().with_context(|| format!("bad size '{size}'"))?,
    };
    receive(dir, name, sum).map(|_| ())
}

fn receive(dir: &Path, name: &str, sum: Sum) -> Result<Stored> {
    let tmp = dir.join(incoming_name(name));
    let result = (|| {
        let got = store::content_sum(&tmp)?;
        if got != sum {
            bail!(
                "{} arrived damaged: {} bytes, crc32c {:08x}, expected {} bytes, {:08x}",
                name,
                got.size,
                got.crc32c,
                sum.size,
                sum.crc32c
            );
        }
        File::open(&tmp).and_then(|f| f.sync_all()).with_context(|| format!("fsync of {}", tmp.display()))?;
        store::publish(dir, name, &tmp, sum)
    })();
    let _ = std::fs::remove_file(&tmp);
    result
}

fn incoming_name(name: &str) -> String {
    format!(".{name}.incoming")
}

/// WAL segment, history, backup history and partial names are plain file names; anything with a
/// path separator would let a caller write outside the archive.
pub fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.starts_with('.') || name.contains('/') {
        bail!("bad WAL file name '{name}'");
    }
    Ok(())
}
