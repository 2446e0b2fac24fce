//! A program on a pseudo-terminal, driven like a person at a keyboard: type text, wait until
//! some text shows up on the screen (bounded wait), see the whole screen output on failure.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::pty::{openpty, Winsize};

/// How long to wait for expected output before failing: generous for a loaded CI machine.
const WAIT: Duration = Duration::from_secs(30);

pub struct Pty {
    child: Child,
    master: File,
    output: Arc<Mutex<Vec<u8>>>,
    /// Bytes of `output` already matched by `expect`.
    seen: usize,
}

impl Pty {
    /// Starts `cmd` with stdin, stdout and stderr on a new pseudo-terminal.
    pub fn spawn(mut cmd: Command) -> Pty {
        let size = Winsize { ws_row: 50, ws_col: 200, ws_xpixel: 0, ws_ypixel: 0 };
        let pty = openpty(Some(&size), None).expect("openpty");
        let slave = File::from(pty.slave);
        cmd.stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave));
        // A session of its own with the pty as controlling terminal, so that Ctrl-C typed while
        // the terminal is not raw becomes SIGINT for the program, as in a real terminal.
        // SAFETY: only async-signal-safe calls (setsid, ioctl) between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                nix::unistd::setsid()?;
                if nix::libc::ioctl(0, nix::libc::TIOCSCTTY, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn on pty");
        // The parent's copies of the slave end are gone with `cmd`: reads on the master then
        // end (EIO) once the child exits.
        drop(cmd);
        let master = File::from(pty.master);
        let output = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().unwrap();
        let sink = output.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Pty { child, master, output, seen: 0 }
    }

    /// Types `text` (`\r` is Enter, `\t` is Tab, `\x1b[A` is Up).
    pub fn send(&mut self, text: &str) {
        self.master.write_all(text.as_bytes()).unwrap();
        self.master.flush().unwrap();
    }

    /// Everything the program wrote, escape sequences included.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    /// Waits until `text` appears after what earlier calls matched, and moves past it.
    pub fn expect(&mut self, text: &str) {
        let start = Instant::now();
        loop {
            {
                let out = self.output.lock().unwrap();
                let tail = String::from_utf8_lossy(&out[self.seen.min(out.len())..]).into_owned();
                if let Some(i) = tail.find(text) {
                    self.seen += tail[..i + text.len()].len();
                    return;
                }
            }
            if start.elapsed() > WAIT {
                panic!("waited {WAIT:?} for {text:?}; the terminal shows:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the program to exit (bounded) and returns its status.
    pub fn wait(&mut self) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if start.elapsed() > WAIT {
                let _ = self.child.kill();
                panic!("program did not exit; the terminal shows:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
