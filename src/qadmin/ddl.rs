//! `show table T;` and `show sequence S;`: the object's definition rebuilt from the catalog
//! (columns, constraints, indexes, triggers; sequence parameters and position) between two
//! 64-dash lines, then its Londiste replication state when the londiste schema is there.

use std::io::Write;

use anyhow::{bail, Result};
use postgres::Client;

use super::session::{has_schema, Session};
use crate::script::quoting::quote_ident;

const RULE: &str = "----------------------------------------------------------------";

/// `schema.name` or `name` as typed (already case-folded) to a regclass-castable text.
fn regclass_text(name: &str) -> String {
    name.split('.').map(quote_ident).collect::<Vec<_>>().join(".")
}

/// The object's schema-qualified, quoted name, if a relation of one of `kinds` has that name.
fn resolve(client: &mut Client, name: &str, kinds: &[&str]) -> Result<Option<String>> {
    let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
    let row = client.query_opt(
        "select quote_ident(n.nspname) || '.' || quote_ident(c.relname) \
         from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where c.oid = to_regclass($1) and c.relkind::text = any($2)",
        &[&regclass_text(name), &kinds],
    )?;
    Ok(row.map(|r| r.get(0)))
}

pub fn show_table(name: &str, s: &mut Session, out: &mut dyn Write) -> Result<()> {
    let c = s.client()?;
    let Some(fq) = resolve(c, name, &["r", "p"])? else {
        bail!("table not found: {name}");
    };
    let cols = c.query(
        "select quote_ident(a.attname), format_type(a.atttypid, a.atttypmod), a.attnotnull, \
         pg_get_expr(d.adbin, d.adrelid) \
         from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum \
         where a.attrelid = $1::text::regclass and a.attnum > 0 and not a.attisdropped order by a.attnum",
        &[&fq],
    )?;
    writeln!(out, "{RULE}")?;
    writeln!(out, "CREATE TABLE {fq} (")?;
    let lines: Vec<String> = cols
        .iter()
        .map(|r| {
            let mut l = format!("    {} {}", r.get::<_, String>(0), r.get::<_, String>(1));
            if let Some(d) = r.get::<_, Option<String>>(3) {
                l.push_str(&format!(" DEFAULT {d}"));
            }
            if r.get::<_, bool>(2) {
                l.push_str(" NOT NULL");
            }
            l
        })
        .collect();
    writeln!(out, "{}\n);", lines.join(",\n"))?;
    let constraints = c.query(
        "select quote_ident(conname), pg_get_constraintdef(oid) from pg_constraint where conrelid = $1::text::regclass \
         order by case contype when 'p' then 0 when 'u' then 1 when 'c' then 2 else 3 end, conname",
        &[&fq],
    )?;
    for r in &constraints {
        writeln!(out, "ALTER TABLE ONLY {fq} ADD CONSTRAINT {} {};", r.get::<_, String>(0), r.get::<_, String>(1))?;
    }
    let others = c.query(
        "select pg_get_indexdef(i.indexrelid) || ';' from pg_index i where i.indrelid = $1::text::regclass \
         and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.conrelid = i.indrelid) \
         union all \
         select pg_get_triggerdef(t.oid) || ';' from pg_trigger t where t.tgrelid = $1::text::regclass and not t.tgisinternal",
        &[&fq],
    )?;
    for r in &others {
        writeln!(out, "{}", r.get::<_, String>(0))?;
    }
    writeln!(out, "{RULE}")?;
    londiste_state(c, "table", &fq, out)
}

pub fn show_sequence(name: &str, s: &mut Session, out: &mut dyn Write) -> Result<()> {
    let c = s.client()?;
    let Some(fq) = resolve(c, name, &["S"])? else {
        bail!("sequence not found: {name}");
    };
    let r = c.query_one(
        "select format_type(seqtypid, null), seqincrement::text, seqmin::text, seqmax::text, seqstart::text, \
         seqcache::text, seqcycle, (select last_value::text from pg_sequences x \
         where format('%I.%I', x.schemaname, x.sequencename) = $1) \
         from pg_sequence where seqrelid = $1::text::regclass",
        &[&fq],
    )?;
    let (ty, inc, min, max, start, cache): (String, String, String, String, String, String) =
        (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5));
    writeln!(out, "{RULE}")?;
    let cycle = if r.get::<_, bool>(6) { " CYCLE" } else { "" };
    writeln!(
        out,
        "CREATE SEQUENCE {fq} AS {ty} INCREMENT BY {inc} MINVALUE {min} MAXVALUE {max} START WITH {start} CACHE {cache}{cycle};"
    )?;
    if let Some(last) = r.get::<_, Option<String>>(7) {
        writeln!(out, "SELECT pg_catalog.setval('{fq}', {last}, true);")?;
    }
    writeln!(out, "{RULE}")?;
    londiste_state(c, "sequence", &fq, out)
}

/// The Londiste registration of the object on every queue of this database, or why there is none.
fn londiste_state(c: &mut Client, kind: &str, fq: &str, out: &mut dyn Write) -> Result<()> {
    if !has_schema(c, "londiste")? {
        writeln!(out, "londiste: not installed in this database, no replication state")?;
        return Ok(());
    }
    let rows = if kind == "table" {
        c.query(
            "select queue_name, format('local=%s merge_state=%s', local::text, coalesce(merge_state, '-')) \
             from londiste.table_info where format('%I.%I', split_part(table_name, '.', 1), split_part(table_name, '.', 2)) = $1 \
             order by 1",
            &[&fq],
        )?
    } else {
        c.query(
            "select queue_name, format('local=%s last_value=%s', local::text, coalesce(last_value::text, '-')) \
             from londiste.seq_info where format('%I.%I', split_part(seq_name, '.', 1), split_part(seq_name, '.', 2)) = $1 \
             order by 1",
            &[&fq],
        )?
    };
    if rows.is_empty() {
        writeln!(out, "londiste: {kind} not registered on any queue")?;
    }
    for r in &rows {
        writeln!(out, "londiste: queue {} {}", r.get::<_, String>(0), r.get::<_, String>(1))?;
    }
    Ok(())
}
