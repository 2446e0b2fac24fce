//! The SQL modules embedded in the binary (assembled by build.rs from `sql/<module>/order.txt`)
//! and their installation.

pub mod install;

/// One installable SQL module.
pub struct Module {
    pub name: &'static str,
    /// Modules that must be installed first.
    pub requires: &'static [&'static str],
    pub script: &'static str,
}

pub const MODULES: &[Module] = &[
    Module { name: "pgq", requires: &[], script: include_str!(concat!(env!("OUT_DIR"), "/pgq.sql")) },
    Module { name: "pgq_coop", requires: &["pgq"], script: include_str!(concat!(env!("OUT_DIR"), "/pgq_coop.sql")) },
    Module { name: "pgq_ext", requires: &[], script: include_str!(concat!(env!("OUT_DIR"), "/pgq_ext.sql")) },
];

pub fn find(name: &str) -> Option<&'static Module> {
    MODULES.iter().find(|m| m.name == name)
}
