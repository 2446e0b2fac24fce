//! Named parameters in data_maintainer's SQL: `%(name)s` is replaced by the row's value as a
//! quoted literal (as the original's client-side substitution did), `%%` by `%`.

use std::collections::BTreeMap;

use anyhow::{bail, Result};

use crate::script::quoting::quote_literal;

/// One row of named values (NULL is None).
pub type Row = BTreeMap<String, Option<String>>;

/// Substitutes `%(name)s` placeholders; an unknown name is an error naming it.
pub fn bind(sql: &str, row: &Row) -> Result<String> {
    let mut out = String::with_capacity(sql.len() + 32);
    let mut rest = sql;
    while let Some(pos) = rest.find('%') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos + 1..];
        if let Some(after) = tail.strip_prefix('%') {
            out.push('%');
            rest = after;
        } else if let Some(inner) = tail.strip_prefix('(') {
            let Some(close) = inner.find(")s") else { bail!("bad placeholder in SQL: {}", &rest[pos..]) };
            let name = &inner[..close];
            let Some(value) = row.get(name) else {
                bail!(
                    "SQL needs %({name})s, but the row has only: {}",
                    row.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            };
            out.push_str(&quote_literal(value.as_deref()));
            rest = &inner[close + 2..];
        } else {
            // A lone % (e.g. in LIKE 'a%') stays as written.
            out.push('%');
            rest = tail;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Reads a result row into named text values.
pub fn row_from_pg(row: &postgres::SimpleQueryRow) -> Row {
    row.columns().iter().enumerate().map(|(i, c)| (c.name().to_string(), row.get(i).map(String::from))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_named_values_as_literals() {
        let row: Row = [
            ("id".to_string(), Some("4".to_string())),
            ("n".to_string(), Some("o'k".to_string())),
            ("z".to_string(), None),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            bind("update t set n = %(n)s, z = %(z)s where id = %(id)s and s like 'a%' and p = 100%%", &row).unwrap(),
            "update t set n = 'o''k', z = null where id = '4' and s like 'a%' and p = 100%"
        );
        assert!(bind("select %(nope)s", &row).unwrap_err().to_string().contains("%(nope)s"));
    }
}
