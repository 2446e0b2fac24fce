//! The `skytools` multi-call binary: argv[0] (`pgqd`, `londiste3`, ...) or, when called as
//! `skytools`, the first argument picks the tool from the table in `tools`.

use std::process::ExitCode;

fn main() -> ExitCode {
    skytools::tools::dispatch(std::env::args_os().collect())
}
