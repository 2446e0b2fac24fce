//! The one integration-test binary: one file per tool under `by_tool/`, shared helpers in
//! `support/`. Every test runs the real binary or the library against real PostgreSQL.

mod by_tool;
mod support;
