//! A parser for Skytools `.ini` files with Python ConfigParser semantics: `[DEFAULT]`,
//! case-insensitive keys, `key = value` / `key: value`, continuation lines, `#`/`;` comment lines,
//! ` ;` inline comments, and lazy `%(name)s` interpolation with `%%` as a literal percent.
//! No crate reproduces these rules, and existing configs depend on every one of them.

use std::collections::BTreeMap;

/// Raw (uninterpolated) values of one section, keys lower-cased.
pub type Section = BTreeMap<String, String>;

/// The parsed file: `DEFAULT` plus named sections, in raw form.
#[derive(Debug, Clone, Default)]
pub struct Ini {
    pub defaults: Section,
    pub sections: BTreeMap<String, Section>,
}

/// A syntax error, with the 1-based line number.
#[derive(Debug, PartialEq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl Ini {
    pub fn parse(text: &str) -> Result<Ini, ParseError> {
        let mut ini = Ini::default();
        // (section name, key) of the option that continuation lines extend.
        let mut current: Option<String> = None;
        let mut last_key: Option<String> = None;
        for (idx, raw) in text.lines().enumerate() {
            let lineno = idx + 1;
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if line.len() >= 3 && line[..3].eq_ignore_ascii_case("rem") && line[3..].starts_with(char::is_whitespace) {
                continue;
            }
            if line.starts_with(char::is_whitespace) {
                let (Some(sect), Some(key)) = (&current, &last_key) else {
                    return Err(ParseError { line: lineno, message: "continuation line without an option".into() });
                };
                let value = ini.section_mut(sect).get_mut(key).expect("last key exists");
                let extra = line.trim();
                if !extra.is_empty() {
                    value.push('\n');
                    value.push_str(extra);
                }
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                let Some(end) = rest.find(']') else {
                    return Err(ParseError { line: lineno, message: format!("bad section header: {line}") });
                };
                let name = rest[..end].to_string();
                if name != "DEFAULT" {
                    ini.sections.entry(name.clone()).or_default();
                }
                current = Some(name);
                last_key = None;
                continue;
            }
            let Some(sect) = &current else {
                return Err(ParseError { line: lineno, message: "option outside of any [section]".into() });
            };
            let Some(pos) = line.find(['=', ':']) else {
                return Err(ParseError { line: lineno, message: format!("expected 'key = value', got: {line}") });
            };
            let key = line[..pos].trim().to_lowercase();
            if key.is_empty() {
                return Err(ParseError { line: lineno, message: format!("empty key in: {line}") });
            }
            let value = strip_inline_comment(line[pos + 1..].trim());
            let value = if value == "\"\"" { String::new() } else { value.to_string() };
            ini.section_mut(sect).insert(key.clone(), value);
            last_key = Some(key);
        }
        Ok(ini)
    }

    fn section_mut(&mut self, name: &str) -> &mut Section {
        if name == "DEFAULT" {
            &mut self.defaults
        } else {
            self.sections.get_mut(name).expect("section created at its header")
        }
    }

    /// Overlays `newer` on `self`: keys missing from the new file keep their old value, as a
    /// ConfigParser re-read into the same object does on SIGHUP.
    pub fn merge(&mut self, newer: Ini) {
        self.defaults.extend(newer.defaults);
        for (name, sect) in newer.sections {
            self.sections.entry(name).or_default().extend(sect);
        }
    }
}

/// ConfigParser only treats `;` as a comment when whitespace precedes it; `#` inside a value stays.
fn strip_inline_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b';' && i > 0 && bytes[i - 1].is_ascii_whitespace() {
            return value[..i].trim_end();
        }
    }
    value
}

/// Interpolation failures, phrased for the one-line config error.
#[derive(Debug, PartialEq)]
pub enum InterpolateError {
    Missing(String),
    TooDeep,
    BadSyntax(String),
}

impl std::fmt::Display for InterpolateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InterpolateError::Missing(name) => write!(f, "references unknown key %({name})s"),
            InterpolateError::TooDeep => write!(f, "interpolation nested too deeply (a loop?)"),
            InterpolateError::BadSyntax(v) => write!(f, "'%' must be followed by '%' or '(name)s' in: {v}"),
        }
    }
}

const MAX_DEPTH: usize = 10;

/// Expands `%(name)s` against `lookup` (section, then defaults) recursively, `%%` to `%`.
pub fn interpolate(value: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, InterpolateError> {
    expand(value, lookup, 0)
}

fn expand(value: &str, lookup: &dyn Fn(&str) -> Option<String>, depth: usize) -> Result<String, InterpolateError> {
    if depth > MAX_DEPTH {
        return Err(InterpolateError::TooDeep);
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(pos) = rest.find('%') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos + 1..];
        if let Some(after) = tail.strip_prefix('%') {
            out.push('%');
            rest = after;
        } else if let Some(inner) = tail.strip_prefix('(') {
            let Some(close) = inner.find(")s") else {
                return Err(InterpolateError::BadSyntax(value.to_string()));
            };
            let name = inner[..close].to_lowercase();
            let raw = lookup(&name).ok_or_else(|| InterpolateError::Missing(name.clone()))?;
            out.push_str(&expand(&raw, lookup, depth + 1)?);
            rest = &inner[close + 2..];
        } else {
            return Err(InterpolateError::BadSyntax(value.to_string()));
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
[DEFAULT]
base = /var/lib ; trailing comment
# comment
; other comment

[londiste3]
Job_Name: replica_%(host)s
host = db1
logfile = %(base)s/log/%(job_name)s.log
sql = select 1
    from t
  where x#y
empty = \"\"
pct = 100%%
semi = a;b
";

    fn lookup<'a>(ini: &'a Ini, sect: &'a str) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| ini.sections[sect].get(k).or_else(|| ini.defaults.get(k)).cloned()
    }

    #[test]
    fn parses_configparser_syntax() {
        let ini = Ini::parse(SAMPLE).unwrap();
        assert_eq!(ini.defaults["base"], "/var/lib");
        let s = &ini.sections["londiste3"];
        assert_eq!(s["job_name"], "replica_%(host)s");
        assert_eq!(s["sql"], "select 1\nfrom t\nwhere x#y");
        assert_eq!(s["empty"], "");
        assert_eq!(s["semi"], "a;b");
    }

    #[test]
    fn interpolates_recursively_with_defaults() {
        let ini = Ini::parse(SAMPLE).unwrap();
        let f = lookup(&ini, "londiste3");
        let v = interpolate(&ini.sections["londiste3"]["logfile"], &f).unwrap();
        assert_eq!(v, "/var/lib/log/replica_db1.log");
        assert_eq!(interpolate(&ini.sections["londiste3"]["pct"], &f).unwrap(), "100%");
    }

    #[test]
    fn reports_missing_and_looping_references() {
        let ini = Ini::parse("[a]\nx = %(y)s\ny = %(x)s\nz = %(nope)s\nw = 5%\n").unwrap();
        let f = lookup(&ini, "a");
        assert_eq!(interpolate("%(x)s", &f), Err(InterpolateError::TooDeep));
        assert_eq!(interpolate("%(z)s", &f), Err(InterpolateError::Missing("nope".into())));
        assert!(matches!(interpolate("5%", &f), Err(InterpolateError::BadSyntax(_))));
    }

    #[test]
    fn rejects_garbage_with_line_numbers() {
        assert_eq!(Ini::parse("x = 1\n").unwrap_err().line, 1);
        assert_eq!(Ini::parse("[a]\nnovalue\n").unwrap_err().line, 2);
        assert_eq!(Ini::parse("[a\n").unwrap_err().line, 1);
    }

    #[test]
    fn merge_keeps_keys_removed_from_the_new_file() {
        let mut old = Ini::parse("[a]\nx = 1\ny = 2\n").unwrap();
        old.merge(Ini::parse("[a]\nx = 3\n").unwrap());
        assert_eq!(old.sections["a"]["x"], "3");
        assert_eq!(old.sections["a"]["y"], "2");
    }
}
