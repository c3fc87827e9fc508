//! `bootstrap`: the brokers a cluster is reached at, `host:port` each. Checked where it is written when
//! it is literal, and after `${VAR}` resolution (at plan time) when it is not, naming the key but never
//! the value. Pure: text in, the servers or the reason out.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Why one entry of `bootstrap` is not `host:port`. Every reason is free of the entry's text, so that
/// it can be shown for a value that came from the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Nothing between two commas, or nothing at all.
    Empty,
    /// `:9092`.
    NoHost,
    /// `host`.
    NoPort,
    /// `h:9092:1`, or an IPv6 address without brackets.
    ManyColons,
    /// Not a number, 0, or above 65535.
    BadPort,
    /// Not a hostname of RFC 1123.
    BadHost,
    /// All digits and dots, but not an IPv4 address.
    BadIpv4,
    /// Brackets that do not hold an IPv6 address.
    BadIpv6,
    /// `SSL://host:9093`.
    Protocol,
}

impl Refusal {
    /// The reason, completing "... is not `host:port`: ...".
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::Empty => "it is empty",
            Refusal::NoHost => "it has no host before the `:`",
            Refusal::NoPort => "it has no `:port`",
            Refusal::ManyColons => "it has more than one `:`; an IPv6 address goes in brackets, as in `[::1]:9092`",
            Refusal::BadPort => "its port is not a number from 1 to 65535",
            Refusal::BadHost => {
                "its host is not a hostname: labels of 1 to 63 letters, digits and `-` (not first or last), \
                 separated by `.`"
            }
            Refusal::BadIpv4 => "its host is not an IPv4 address",
            Refusal::BadIpv6 => "its brackets do not hold an IPv6 address",
            Refusal::Protocol => "it starts with a protocol; the protocol goes in `client: security.protocol`",
        }
    }
}

/// Splits a comma-separated `bootstrap` into its entries, trimmed.
pub fn entries(list: &str) -> Vec<&str> {
    list.split(',').map(str::trim).collect()
}

/// Checks one `host:port` entry.
pub fn check(entry: &str) -> Result<(), Refusal> {
    let entry = entry.trim();
    if entry.is_empty() {
        return Err(Refusal::Empty);
    }
    if entry.contains("://") {
        return Err(Refusal::Protocol);
    }
    let (host, port) = if let Some(rest) = entry.strip_prefix('[') {
        let (inside, after) = rest.split_once(']').ok_or(Refusal::BadIpv6)?;
        inside.parse::<Ipv6Addr>().map_err(|_| Refusal::BadIpv6)?;
        let port =
            after.strip_prefix(':').ok_or(if after.is_empty() { Refusal::NoPort } else { Refusal::ManyColons })?;
        (None, port)
    } else {
        let (host, port) = entry.split_once(':').ok_or(Refusal::NoPort)?;
        if port.contains(':') {
            return Err(Refusal::ManyColons);
        }
        (Some(host), port)
    };
    if let Some(host) = host {
        check_host(host)?;
    }
    match port.parse::<u32>() {
        Ok(1..=65535) if port.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        _ if port.is_empty() => Err(Refusal::NoPort),
        _ => Err(Refusal::BadPort),
    }
}

/// An IPv4 address, or a hostname of RFC 1123 (a final `.` allowed).
fn check_host(host: &str) -> Result<(), Refusal> {
    if host.is_empty() {
        return Err(Refusal::NoHost);
    }
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return host.parse::<Ipv4Addr>().map(|_| ()).map_err(|_| Refusal::BadIpv4);
    }
    let name = host.strip_suffix('.').unwrap_or(host);
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if name.len() <= 253 && name.split('.').all(label_ok) { Ok(()) } else { Err(Refusal::BadHost) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_host_and_port() {
        let good = [
            "127.0.0.1:9092",
            "localhost:9092",
            "kafka-1.prod.example.com:9093",
            "broker.:1",
            "[::1]:9092",
            "[2001:db8::7]:65535",
            "b0:1",
            " padded:9092 ",
        ];
        for entry in good {
            assert_eq!(check(entry), Ok(()), "{entry}");
        }
        let bad = [
            ("", Refusal::Empty),
            (":1", Refusal::NoHost),
            ("host", Refusal::NoPort),
            ("host:", Refusal::NoPort),
            ("h:9092:1", Refusal::ManyColons),
            ("::1:9092", Refusal::ManyColons),
            ("127.0.0.1:99999", Refusal::BadPort),
            ("127.0.0.1:0", Refusal::BadPort),
            ("host:90a", Refusal::BadPort),
            ("host:+90", Refusal::BadPort),
            ("999.1.1.1:9092", Refusal::BadIpv4),
            ("-bad.example:9092", Refusal::BadHost),
            ("under_score:9092", Refusal::BadHost),
            ("a..b:9092", Refusal::BadHost),
            (&format!("{}:1", "x".repeat(64)), Refusal::BadHost),
            ("[::1]", Refusal::NoPort),
            ("[::1]9092", Refusal::ManyColons),
            ("[nope]:9092", Refusal::BadIpv6),
            ("SSL://host:9093", Refusal::Protocol),
        ];
        for (entry, want) in bad {
            assert_eq!(check(entry), Err(want), "{entry}");
        }
        assert_eq!(entries("a:1, b:2,"), vec!["a:1", "b:2", ""]);
    }
}
