//! The `skytools` multi-call binary: the tool table and dispatch, nothing else.
//! A tool is picked by the basename of argv[0] (`pgqd`, `londiste3`, ...) or, when the binary is
//! called as `skytools`, by the first argument.

mod script;
mod sqlmod;
mod tools;

use std::ffi::OsString;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    tools::dispatch(args)
}
