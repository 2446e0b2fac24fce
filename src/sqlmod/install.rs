//! Installing or upgrading embedded SQL modules in a database, in one transaction, idempotently.

use anyhow::{anyhow, Context, Result};
use postgres::GenericClient;

use super::{find, Module};

/// What `install` did to one module.
#[derive(Debug, PartialEq)]
pub struct Installed {
    pub module: &'static str,
    /// Version before (None: not installed).
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Orders the requested modules so that requirements come first, adding missing ones.
pub fn resolve(names: &[&str]) -> Result<Vec<&'static Module>> {
    let mut out: Vec<&'static Module> = Vec::new();
    fn add(name: &str, out: &mut Vec<&'static Module>) -> Result<()> {
        let m = find(name).ok_or_else(|| anyhow!("unknown SQL module '{name}' (known: {})", known()))?;
        for r in m.requires {
            add(r, out)?;
        }
        if !out.iter().any(|o| o.name == m.name) {
            out.push(m);
        }
        Ok(())
    }
    for n in names {
        add(n, &mut out)?;
    }
    Ok(out)
}

fn known() -> String {
    super::MODULES.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
}

/// The installed version of a module, read from its `<schema>.version()` function.
pub fn installed_version(db: &mut impl GenericClient, module: &str) -> Result<Option<String>> {
    let exists: bool = db
        .query_one(
            "select exists (select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace \
             where n.nspname = $1 and p.proname = 'version' and p.pronargs = 0)",
            &[&module],
        )?
        .get(0);
    if !exists {
        return Ok(None);
    }
    let sql = format!("select {}.version()::text", crate::script::quoting::quote_ident(module));
    Ok(db.query_one(sql.as_str(), &[])?.get(0))
}

/// Installs (or upgrades) the modules and what they require, all in one transaction.
pub fn install(client: &mut postgres::Client, names: &[&str]) -> Result<Vec<Installed>> {
    let modules = resolve(names)?;
    let mut tx = client.transaction()?;
    let mut done = Vec::new();
    for m in modules {
        let before = installed_version(&mut tx, m.name)?;
        tx.batch_execute(m.script).with_context(|| format!("installing SQL module {}", m.name))?;
        let after = installed_version(&mut tx, m.name)?;
        done.push(Installed { module: m.name, before, after });
    }
    tx.commit()?;
    Ok(done)
}
