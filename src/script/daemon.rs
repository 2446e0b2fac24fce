//! Pidfiles and daemonizing, as the Skytools tools do them: refuse to start beside a live pid,
//! ignore a stale one, write the child's pid atomically after detaching, remove it on exit only if
//! it is still ours; and `-s`/`-k`/`-r`, which signal the pid in the pidfile.

use std::fs;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use nix::sys::signal::{kill, Signal};
use nix::unistd::{fork, setsid, ForkResult, Pid};

/// What is in a pidfile right now.
#[derive(Debug, PartialEq)]
pub enum PidState {
    Missing,
    Stale,
    Running(i32),
}

pub fn read_pidfile(path: &Path) -> Result<PidState> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(PidState::Missing),
        Err(e) => return Err(e).with_context(|| format!("cannot read pidfile {}", path.display())),
    };
    let first = text.lines().next().unwrap_or("").trim();
    if first.is_empty() {
        return Ok(PidState::Stale);
    }
    let pid: i32 = first.parse().map_err(|_| anyhow!("corrupt pidfile {}: {first:?}", path.display()))?;
    if pid <= 0 {
        bail!("corrupt pidfile {}: {first:?}", path.display());
    }
    Ok(match kill(Pid::from_raw(pid), None) {
        Ok(()) | Err(nix::errno::Errno::EPERM) => PidState::Running(pid),
        Err(_) => PidState::Stale,
    })
}

/// Refuses to start beside a live process; a stale pidfile is only reported.
pub fn check_pidfile(path: &Path) -> Result<()> {
    match read_pidfile(path)? {
        PidState::Running(pid) => bail!("pidfile {} exists, another process running? (pid {pid})", path.display()),
        PidState::Stale => {
            log::info!("Ignoring stale pidfile {}", path.display());
            Ok(())
        }
        PidState::Missing => Ok(()),
    }
}

/// An owned pidfile: removed on drop if it still holds our pid.
#[derive(Debug)]
pub struct Pidfile {
    path: PathBuf,
    pid: u32,
}

impl Pidfile {
    /// Writes our pid atomically: into `<path>.new`, then hard-linked into place, which fails if
    /// another starter won the race; a stale file is replaced.
    pub fn create(path: &Path) -> Result<Pidfile> {
        let pid = std::process::id();
        let tmp = PathBuf::from(format!("{}.new.{pid}", path.display()));
        let write = || -> std::io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            writeln!(f, "{pid}")?;
            f.sync_all()
        };
        write().with_context(|| format!("cannot write pidfile {}", tmp.display()))?;
        let result = (|| {
            for _ in 0..3 {
                match fs::hard_link(&tmp, path) {
                    Ok(()) => return Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match read_pidfile(path)? {
                        PidState::Running(other) if other as u32 != pid => {
                            bail!("pidfile {} exists, another process running? (pid {other})", path.display())
                        }
                        _ => {
                            let _ = fs::remove_file(path);
                        }
                    },
                    Err(e) => return Err(e).with_context(|| format!("cannot create pidfile {}", path.display())),
                }
            }
            bail!("cannot create pidfile {}: it keeps reappearing", path.display())
        })();
        let _ = fs::remove_file(&tmp);
        result.map(|()| Pidfile { path: path.to_path_buf(), pid })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Pidfile {
    fn drop(&mut self) {
        if let Ok(text) = fs::read_to_string(&self.path) {
            if text.trim() == self.pid.to_string() {
                let _ = fs::remove_file(&self.path);
            }
        }
    }
}

/// Sends `sig` to the process in the pidfile (`-s`, `-k`, `-r`). Returns a message for the user.
pub fn signal_pidfile(path: &Path, sig: Signal) -> Result<String> {
    match read_pidfile(path)? {
        PidState::Running(pid) => {
            kill(Pid::from_raw(pid), sig).with_context(|| format!("cannot send {sig} to pid {pid}"))?;
            Ok(format!("{} sent to pid {pid}", sig.as_str()))
        }
        PidState::Stale => Ok("pidfile exists, but process not running".into()),
        PidState::Missing => Ok("No pidfile, process not running".into()),
    }
}

/// The child's side of a daemonized start: tells the waiting parent whether start-up worked.
pub struct StartupReport {
    pipe: Option<OwnedFd>,
}

impl StartupReport {
    /// A foreground run: nobody is waiting.
    pub fn none() -> StartupReport {
        StartupReport { pipe: None }
    }

    pub fn ok(&mut self) {
        self.send(b"ok");
    }

    pub fn failed(&mut self, msg: &str) {
        self.send(msg.as_bytes());
    }

    fn send(&mut self, msg: &[u8]) {
        if let Some(fd) = self.pipe.take() {
            let mut f = fs::File::from(fd);
            let _ = f.write_all(msg);
        }
    }
}

/// Detaches: fork (the parent waits for the child's start-up report and exits with it), setsid,
/// stdin/stdout/stderr to /dev/null. No chdir, so relative paths in configs keep working.
/// Must run before any thread or connection exists.
pub fn daemonize() -> Result<StartupReport> {
    let (rd, wr) = nix::unistd::pipe().context("pipe")?;
    // SAFETY: called before any other thread exists (start-up order), so the child is sound.
    match unsafe { fork() }.context("fork")? {
        ForkResult::Parent { .. } => {
            drop(wr);
            let mut msg = String::new();
            let _ = fs::File::from(rd).read_to_string(&mut msg);
            if msg == "ok" {
                std::process::exit(0);
            }
            if msg.is_empty() {
                msg = "daemon exited during start-up (see its log)".into();
            }
            eprintln!("{msg}");
            std::process::exit(1);
        }
        ForkResult::Child => {
            drop(rd);
            setsid().context("setsid")?;
            let null = fs::OpenOptions::new().read(true).write(true).open("/dev/null").context("/dev/null")?;
            for fd in 0..3 {
                nix::unistd::dup2(null.as_raw_fd(), fd).context("dup2")?;
            }
            Ok(StartupReport { pipe: Some(wr) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pidfile_states() {
        let dir = std::env::temp_dir().join(format!("pidfile-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("x.pid");
        assert_eq!(read_pidfile(&p).unwrap(), PidState::Missing);
        fs::write(&p, "").unwrap();
        assert_eq!(read_pidfile(&p).unwrap(), PidState::Stale);
        fs::write(&p, "garbage\n").unwrap();
        assert!(read_pidfile(&p).unwrap_err().to_string().contains("corrupt pidfile"));
        fs::write(&p, "999999999\n").unwrap();
        assert_eq!(read_pidfile(&p).unwrap(), PidState::Stale);
        {
            let owned = Pidfile::create(&p).unwrap();
            assert_eq!(read_pidfile(owned.path()).unwrap(), PidState::Running(std::process::id() as i32));
        }
        assert!(!p.exists(), "removed on drop");
        fs::write(&p, "1\n").unwrap();
        assert!(Pidfile::create(&p).unwrap_err().to_string().contains("another process running"));
        fs::remove_dir_all(&dir).unwrap();
    }
}
