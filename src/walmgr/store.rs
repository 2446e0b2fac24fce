//! The archive directory's storage rules, shared by xarchive (master), the rsync receiver and
//! xrestore (slave): every file `NAME` has a `NAME.sum` (CRC-32C and size of its content) next to
//! it; a file lands atomically and durably (temp file, fsync, no-replace link, fsync of the
//! directory); an existing file with the same content is success, a different one is never
//! overwritten; a fetch verifies. With compression a file is stored gzipped under its own name;
//! the checksum, the identity rule and the verification are always about the uncompressed content.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

/// Copy buffer: large enough that a 16 MiB segment is 16 reads, small enough to stay in cache.
const CHUNK: usize = 1 << 20;

/// Checksum and size of one archived file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sum {
    pub crc32c: u32,
    pub size: u64,
}

impl Sum {
    fn line(&self) -> String {
        format!("crc32c={:08x} size={}\n", self.crc32c, self.size)
    }

    pub fn parse(text: &str) -> Option<Sum> {
        let mut crc = None;
        let mut size = None;
        for part in text.split_whitespace() {
            match part.split_once('=') {
                Some(("crc32c", v)) => crc = u32::from_str_radix(v, 16).ok(),
                Some(("size", v)) => size = v.parse().ok(),
                _ => {}
            }
        }
        Some(Sum { crc32c: crc?, size: size? })
    }
}

pub fn sum_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.sum"))
}

/// Reads the checksum stored for `name`, if any.
pub fn read_sum(dir: &Path, name: &str) -> Result<Option<Sum>> {
    let p = sum_path(dir, name);
    match fs::read_to_string(&p) {
        Ok(t) => Sum::parse(&t).map(Some).ok_or_else(|| anyhow!("{}: unreadable checksum file", p.display())),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", p.display())),
    }
}

/// How an archived file's bytes hold its content.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Format {
    Plain,
    /// One gzip member (RFC 1952), written by walmgr with `compression = 1`.
    Gzip,
}

/// gzip's magic bytes. No file PostgreSQL archives starts with them: a WAL page begins with its
/// own magic number, history and backup history files are text.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Opens an archived file for reading its content, decompressing a gzipped one.
pub fn open_content(path: &Path) -> Result<(Box<dyn Read>, Format)> {
    let mut f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut head = [0u8; 2];
    let n = f.read(&mut head).with_context(|| format!("reading {}", path.display()))?;
    f.seek(SeekFrom::Start(0))?;
    Ok(if n == 2 && head == GZIP_MAGIC {
        (Box::new(GzDecoder::new(f)), Format::Gzip)
    } else {
        (Box::new(f), Format::Plain)
    })
}

/// Copies `src` into `out` (if any) while computing its checksum.
pub fn copy_summed(src: &mut impl Read, mut out: Option<&mut dyn Write>) -> Result<Sum> {
    let mut buf = vec![0u8; CHUNK];
    let mut sum = Sum { crc32c: 0, size: 0 };
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        sum.crc32c = crc32c::crc32c_append(sum.crc32c, &buf[..n]);
        sum.size += n as u64;
        if let Some(f) = out.as_deref_mut() {
            f.write_all(&buf[..n])?;
        }
    }
    Ok(sum)
}

/// Checksum of a file's bytes as they are (a segment in pg_wal).
pub fn sum_of(path: &Path) -> Result<Sum> {
    let mut f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    copy_summed(&mut f, None).with_context(|| format!("reading {}", path.display()))
}

/// Checksum of an archived file's content, decompressed if it is gzipped (a damaged gzip file is
/// an error: its own CRC and length trailer are checked too).
pub fn content_sum(path: &Path) -> Result<Sum> {
    let (mut r, _) = open_content(path)?;
    copy_summed(&mut r, None).with_context(|| format!("reading {}", path.display()))
}

/// Writes `src` to the new file `tmp` in `format` and fsyncs it; returns the content's checksum.
pub fn write_file(src: &Path, tmp: &Path, format: Format) -> Result<Sum> {
    let mut input = File::open(src).with_context(|| format!("opening {}", src.display()))?;
    let mut out = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    let sum = match format {
        Format::Plain => copy_summed(&mut input, Some(&mut out as &mut dyn Write)),
        Format::Gzip => {
            // Level 1: WAL is mostly compressible by the cheap matches; higher levels cost far
            // more CPU per segment for a few percent.
            let mut gz = GzEncoder::new(&mut out, Compression::fast());
            copy_summed(&mut input, Some(&mut gz as &mut dyn Write)).and_then(|s| Ok(gz.finish().map(|_| s)?))
        }
    }
    .with_context(|| format!("copying {} to {}", src.display(), tmp.display()))?;
    out.sync_data().with_context(|| format!("fsync of {}", tmp.display()))?;
    Ok(sum)
}

/// What `store` found.
#[derive(Debug, PartialEq)]
pub enum Stored {
    New(Sum),
    /// The archive already held this exact file (PostgreSQL retrying after a crash).
    AlreadyThere(Sum),
}

/// Archives `src` as `dir/name`: the one place where archive files are created.
pub fn store(src: &Path, dir: &Path, name: &str, format: Format) -> Result<Stored> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let result = write_file(src, &tmp, format).and_then(|sum| publish(dir, name, &tmp, sum));
    let _ = fs::remove_file(&tmp);
    result
}

/// Moves a complete, checksummed temp file into place under the no-overwrite rule. Used by
/// `store` and by the rsync receiver after it has verified the transferred file.
pub fn publish(dir: &Path, name: &str, tmp: &Path, sum: Sum) -> Result<Stored> {
    let target = dir.join(name);
    if target.exists() {
        return existing(dir, name, &target, sum);
    }
    write_sum(dir, name, sum)?;
    // link() fails if the name exists, so a concurrent or earlier copy is never replaced.
    match fs::hard_link(tmp, &target) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::AlreadyExists => return existing(dir, name, &target, sum),
        Err(e) => {
            let _ = fs::remove_file(sum_path(dir, name));
            return Err(e).with_context(|| format!("linking {} into place", target.display()));
        }
    }
    fs::remove_file(tmp).with_context(|| format!("removing {}", tmp.display()))?;
    sync_dir(dir)?;
    Ok(Stored::New(sum))
}

fn existing(dir: &Path, name: &str, target: &Path, sum: Sum) -> Result<Stored> {
    // Compared by content: a plain copy and a gzipped one of the same segment are the same file.
    let have = content_sum(target)?;
    if have != sum {
        bail!(
            "{} already exists with different contents ({} bytes, crc32c {:08x}; new file: {} bytes, {:08x}); not overwriting",
            target.display(),
            have.size,
            have.crc32c,
            sum.size,
            sum.crc32c
        );
    }
    if read_sum(dir, name).ok().flatten() != Some(sum) {
        write_sum(dir, name, sum)?;
        sync_dir(dir)?;
    }
    Ok(Stored::AlreadyThere(sum))
}

fn write_sum(dir: &Path, name: &str, sum: Sum) -> Result<()> {
    let tmp = dir.join(format!(".{name}.sum.tmp"));
    let mut f = File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(sum.line().as_bytes())
        .and_then(|()| f.sync_data())
        .with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, sum_path(dir, name)).with_context(|| format!("renaming {}", tmp.display()))
}

pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).with_context(|| format!("fsync of directory {}", dir.display()))
}

/// Copies the content of `dir/name` to `dest` (decompressed), verifying it against its `.sum`.
/// A missing `.sum` (a file put there by another tool) is copied with a warning; a mismatch is an
/// error and `dest` is removed.
pub fn fetch(dir: &Path, name: &str, dest: &Path) -> Result<Sum> {
    let src = dir.join(name);
    let expected = read_sum(dir, name)?;
    let (mut input, _) = open_content(&src)?;
    let mut out = File::create(dest).with_context(|| format!("creating {}", dest.display()))?;
    let got =
        copy_summed(&mut input, Some(&mut out as &mut dyn Write)).with_context(|| format!("copying {}", src.display()));
    let result = got.and_then(|got| match expected {
        Some(want) if want != got => Err(anyhow!(
            "{} fails its checksum: {} bytes, crc32c {:08x}, expected {} bytes, {:08x}",
            src.display(),
            got.size,
            got.crc32c,
            want.size,
            want.crc32c
        )),
        Some(_) => Ok(got),
        None => {
            log::warn!("{} has no checksum file, restored unverified", src.display());
            Ok(got)
        }
    });
    if result.is_err() {
        let _ = fs::remove_file(dest);
    }
    result
}

/// Removes an archived file and its checksum.
pub fn remove(dir: &Path, name: &str) -> Result<()> {
    for p in [dir.join(name), sum_path(dir, name)] {
        match fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing {}", p.display())),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmpdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("walmgr-store-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn store_is_idempotent_and_never_overwrites() {
        let d = tmpdir("store");
        let src = d.join("src");
        fs::create_dir(d.join("arch")).unwrap();
        fs::write(&src, b"segment one").unwrap();
        let arch = d.join("arch");
        let Stored::New(sum) = store(&src, &arch, "000000010000000000000001", Format::Plain).unwrap() else {
            panic!("not new")
        };
        assert_eq!(sum.size, 11);
        assert_eq!(read_sum(&arch, "000000010000000000000001").unwrap(), Some(sum));
        assert_eq!(store(&src, &arch, "000000010000000000000001", Format::Plain).unwrap(), Stored::AlreadyThere(sum));
        // The same content gzipped is the same file.
        assert_eq!(store(&src, &arch, "000000010000000000000001", Format::Gzip).unwrap(), Stored::AlreadyThere(sum));
        fs::write(&src, b"segment two").unwrap();
        let err = store(&src, &arch, "000000010000000000000001", Format::Gzip).unwrap_err();
        assert!(format!("{err:#}").contains("not overwriting"), "{err:#}");
        assert_eq!(fs::read(arch.join("000000010000000000000001")).unwrap(), b"segment one");
        let names: Vec<_> = fs::read_dir(&arch).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "no temp files left: {names:?}");

        fetch(&arch, "000000010000000000000001", &d.join("out")).unwrap();
        assert_eq!(fs::read(d.join("out")).unwrap(), b"segment one");
        fs::write(arch.join("000000010000000000000001"), b"segment onE").unwrap();
        assert!(fetch(&arch, "000000010000000000000001", &d.join("out")).is_err());
        assert!(!d.join("out").exists());
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn gzipped_files_are_verified_by_their_content() {
        let d = tmpdir("gzip");
        let src = d.join("src");
        let arch = d.join("arch");
        fs::create_dir(&arch).unwrap();
        let content: Vec<u8> = (0..200_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        fs::write(&src, &content).unwrap();
        let name = "000000010000000000000002";
        let Stored::New(sum) = store(&src, &arch, name, Format::Gzip).unwrap() else { panic!("not new") };
        let stored = fs::read(arch.join(name)).unwrap();
        assert_eq!(stored[..2], GZIP_MAGIC);
        assert!(stored.len() < content.len() / 4, "compressed to {} bytes", stored.len());
        assert_eq!(sum, Sum { crc32c: crc32c::crc32c(&content), size: content.len() as u64 });
        assert_eq!(content_sum(&arch.join(name)).unwrap(), sum);
        fetch(&arch, name, &d.join("out")).unwrap();
        assert_eq!(fs::read(d.join("out")).unwrap(), content);

        // A gzip stream cut short fails even where the damage is past what was read.
        fs::write(arch.join(name), &stored[..stored.len() - 4]).unwrap();
        assert!(fetch(&arch, name, &d.join("out")).is_err());
        assert!(!d.join("out").exists());
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn sum_lines_round_trip() {
        let s = Sum { crc32c: 0xdeadbeef, size: 16 << 20 };
        assert_eq!(Sum::parse(&s.line()), Some(s));
        assert_eq!(Sum::parse("garbage"), None);
    }
}
