//! The multi-call dispatch: argv[0], first argument, help, version, unknown names, symlinks.

use crate::support::{skytools, text, TempDir};

#[test]
fn help_lists_every_tool_with_one_line() {
    let out = skytools("skytools").arg("--help").output().unwrap();
    assert!(out.status.success());
    let (stdout, _) = text(&out);
    for tool in ["install", "install-links"] {
        assert!(stdout.lines().any(|l| l.trim_start().starts_with(tool)), "{tool} missing from:\n{stdout}");
    }
}

#[test]
fn version_prints_the_package_version() {
    let out = skytools("skytools").arg("--version").output().unwrap();
    assert!(out.status.success());
    assert!(text(&out).0.contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn unknown_tool_is_an_error_with_exit_1() {
    let out = skytools("skytools").arg("nosuchtool").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("unknown tool 'nosuchtool'"), "{}", text(&out).1);
    let out = skytools("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("unknown tool 'frobnicate'"));
}

#[test]
fn install_links_creates_working_symlinks() {
    let dir = TempDir::new("links");
    let out = skytools("skytools").arg("install-links").arg(&dir.path).output().unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    let link = dir.join("install-links");
    assert!(!link.exists(), "skytools-only helpers get no symlink");
    for name in skytools::tools::link_names() {
        let path = dir.join(name);
        let meta = std::fs::symlink_metadata(&path).unwrap_or_else(|_| panic!("{name} link missing"));
        assert!(meta.file_type().is_symlink());
        let out = std::process::Command::new(&path).arg("--help").output().unwrap();
        assert!(out.status.success(), "{name} --help through its symlink: {:?}", text(&out));
    }
    // Running it again replaces the links instead of failing.
    assert!(skytools("skytools").arg("install-links").arg(&dir.path).status().unwrap().success());
}

#[test]
fn install_rejects_unknown_module_and_unreachable_database() {
    let out = skytools("skytools").args(["install", "nosuch", "--db", "dbname=x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("unknown SQL module 'nosuch'"), "{}", text(&out).1);
    let out = skytools("skytools")
        .args(["install", "pgq", "--db", "host=/nonexistent port=1 dbname=x password=sekrit connect_timeout=2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out).1;
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(err.contains("cannot connect") && !err.contains("sekrit"), "{err}");
}

#[test]
fn generate_writes_a_man_page_per_tool() {
    let dir = TempDir::new("man");
    let out = skytools("skytools").args(["generate", "man"]).arg(&dir.path).output().unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    let page = std::fs::read_to_string(dir.join("skytools-install.1")).unwrap();
    assert!(page.contains("CONNSTR"), "the page documents the real switches");
    assert!(dir.join("skytools.1").exists());
    let out = skytools("skytools").args(["generate", "completions"]).arg(&dir.path).output().unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
}
