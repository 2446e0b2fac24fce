//! Quoting identifiers and literals for the rare SQL text that cannot use parameters (DDL,
//! VACUUM, COPY targets). User-supplied names go through here, never straight into SQL.

/// PostgreSQL's reserved keywords that force quoting of an otherwise plain identifier.
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

/// `quote_ident`: plain lower-case identifiers stay bare, everything else is double-quoted.
pub fn quote_ident(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c == '_' || c.is_ascii_lowercase())
        && name.chars().all(|c| c == '_' || c == '$' || c.is_ascii_lowercase() || c.is_ascii_digit())
        && !RESERVED.contains(&name);
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `schema.table` with each part quoted; a name without schema gets `public.`.
pub fn quote_fqident(name: &str) -> String {
    match name.split_once('.') {
        Some((schema, table)) => format!("{}.{}", quote_ident(schema), quote_ident(table)),
        None => format!("public.{}", quote_ident(name)),
    }
}

/// `quote_literal`: NULL for None, `E'...'` when backslashes are present.
pub fn quote_literal(value: Option<&str>) -> String {
    match value {
        None => "null".to_string(),
        Some(v) => {
            let body = v.replace('\'', "''");
            if v.contains('\\') {
                format!("E'{}'", body.replace('\\', "\\\\"))
            } else {
                format!("'{body}'")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_postgres() {
        assert_eq!(quote_ident("abc_1"), "abc_1");
        assert_eq!(quote_ident("Abc"), "\"Abc\"");
        assert_eq!(quote_ident("select"), "\"select\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident("1x"), "\"1x\"");
        assert_eq!(quote_fqident("s.T"), "s.\"T\"");
        assert_eq!(quote_fqident("t"), "public.t");
        assert_eq!(quote_literal(Some("it's")), "'it''s'");
        assert_eq!(quote_literal(Some("a\\b")), "E'a\\\\b'");
        assert_eq!(quote_literal(None), "null");
    }
}
