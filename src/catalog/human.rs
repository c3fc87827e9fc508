//! Sizes and durations in human units, for text and Markdown: a config value (`604800000` is `7d`), a
//! size on disk (`12.3 GiB`), an age (`2 h`). JSON keeps raw numbers. Pure.

use super::Kind;

const DAY: i64 = 86_400_000;

/// A config value's human reading, when the catalog knows the key as a duration or a size and the value
/// is large enough for a unit to help: `Some("7d")` for `retention.ms` `604800000`, `Some("1GiB")` for
/// `segment.bytes` `1073741824`; `None` for any other key or value (`-1`, `0`, `500`).
pub fn config_value(key: &str, value: &str) -> Option<String> {
    let kind = super::get(key)?.kind;
    let n: i64 = value.trim().parse().ok()?;
    match kind {
        Kind::Duration if n >= 1000 => Some(exact_duration(n)),
        Kind::Bytes if n >= 1024 => Some(size_unit(n as u64, true)),
        _ => None,
    }
}

/// Milliseconds in the largest unit that divides them exactly: `7d`, `36h`, `90s`, `1500ms`.
pub fn exact_duration(ms: i64) -> String {
    const UNITS: [(&str, i64); 4] = [("d", DAY), ("h", 3_600_000), ("m", 60_000), ("s", 1000)];
    UNITS.iter().find(|(_, f)| ms % f == 0).map_or_else(|| format!("{ms}ms"), |(u, f)| format!("{}{u}", ms / f))
}

/// Milliseconds rounded down to one unit, for ages and windows: `2 h`, `35 min`, `3 d`, `12 s`.
pub fn duration(ms: u64) -> String {
    match ms {
        ms if ms >= 2 * DAY as u64 => format!("{} d", ms / DAY as u64),
        ms if ms >= 3_600_000 => format!("{} h", ms / 3_600_000),
        ms if ms >= 60_000 => format!("{} min", ms / 60_000),
        ms => format!("{} s", ms / 1000),
    }
}

/// Bytes in binary units, one decimal: `512 B`, `1.5 KiB`, `12.3 GiB`.
pub fn bytes(n: u64) -> String {
    size_unit(n, false)
}

/// A count with a metric suffix, one decimal: `950`, `4.1 k`, `4.1 M`, `2.0 G`.
pub fn count(n: u64) -> String {
    match n {
        n if n >= 1_000_000_000 => format!("{:.1} G", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.1} M", n as f64 / 1e6),
        n if n >= 10_000 => format!("{:.1} k", n as f64 / 1e3),
        n => n.to_string(),
    }
}

/// `exact`: the value as YAML takes it (`1GiB`) when a unit divides it, else one decimal (`1.0 MiB`).
fn size_unit(n: u64, exact: bool) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut i = 0;
    while i + 1 < UNITS.len() && n >= 1u64 << (10 * (i + 1)) {
        i += 1;
    }
    let f = 1u64 << (10 * i);
    if i == 0 {
        format!("{n} B")
    } else if exact && n.is_multiple_of(f) {
        format!("{}{}", n / f, UNITS[i])
    } else {
        format!("{:.1} {}", n as f64 / f as f64, UNITS[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_units() {
        let cases = [
            (config_value("retention.ms", "604800000"), Some("7d")),
            (config_value("retention.ms", "259200000"), Some("3d")),
            (config_value("retention.ms", "5400000"), Some("90m")),
            (config_value("retention.ms", "-1"), None),
            (config_value("segment.bytes", "1073741824"), Some("1GiB")),
            (config_value("max.message.bytes", "1048588"), Some("1.0 MiB")),
            (config_value("retention.bytes", "-1"), None),
            (config_value("min.insync.replicas", "2"), None),
            (config_value("cleanup.policy", "delete"), None),
            (config_value("not.a.config", "604800000"), None),
        ];
        for (got, want) in cases {
            assert_eq!(got.as_deref(), want);
        }
        assert_eq!(exact_duration(1500), "1500ms");
        assert_eq!(duration(7_200_000), "2 h");
        assert_eq!(duration(3_000), "3 s");
        assert_eq!(duration(36 * 3_600_000), "36 h");
        assert_eq!(duration(3 * DAY as u64), "3 d");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(13_207_024_435), "12.3 GiB");
        assert_eq!(count(4_100_000), "4.1 M");
        assert_eq!(count(950), "950");
    }
}
