//! Parsers for typed config values: booleans as ConfigParser reads them, time intervals and byte
//! sizes with units.

pub fn parse_bool(v: &str) -> Option<bool> {
    match v.to_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Some(true),
        "0" | "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

/// Seconds as a float; a bare number is seconds, and `ms`, `s`, `sec`, `min`, `m`, `h`, `d` units
/// are accepted (pgqd and Python tools only knew bare seconds, which stay valid).
pub fn parse_interval(v: &str) -> Option<f64> {
    let v = v.trim();
    let split = v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: f64 = num.trim().parse().ok()?;
    let mult = match unit.trim().to_lowercase().as_str() {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "ms" => 0.001,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86400.0,
        _ => return None,
    };
    (n.is_finite() && n >= 0.0).then_some(n * mult)
}

/// Byte sizes: `1024`, `3K`, `4 MB`, `1GiB` (powers of 1024, as skytools' hsize_to_bytes).
pub fn parse_bytes(v: &str) -> Option<u64> {
    let v = v.trim();
    let split = v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: u64 = num.trim().parse().ok()?;
    let unit = unit.trim().to_uppercase();
    let unit = unit.trim_end_matches('B').trim_end_matches('I');
    let shift = match unit {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return None,
    };
    n.checked_mul(1u64 << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values() {
        assert_eq!(parse_bool("On"), Some(true));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
        assert_eq!(parse_interval("0.5"), Some(0.5));
        assert_eq!(parse_interval("10ms"), Some(0.01));
        assert_eq!(parse_interval("2 min"), Some(120.0));
        assert_eq!(parse_interval("-1"), None);
        assert_eq!(parse_interval("5 parsecs"), None);
        assert_eq!(parse_bytes("3K"), Some(3072));
        assert_eq!(parse_bytes("4 MB"), Some(4 << 20));
        assert_eq!(parse_bytes("10485760"), Some(10485760));
        assert_eq!(parse_bytes("x"), None);
    }
}
