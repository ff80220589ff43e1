//! IP allowlists: CIDR blocks (IPv4 and IPv6) separated by commas, spaces or new lines. An empty
//! list allows every address; a non-empty one allows only addresses inside one of its blocks.
//! A bare address is a /32 (or /128).

use ipnet::IpNet;
use std::net::IpAddr;
use std::str::FromStr;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpAllowlist(Vec<IpNet>);

impl IpAllowlist {
    /// Parses the stored or typed form; the error names the first bad entry.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for part in text.split(|c: char| c == ',' || c.is_whitespace()).filter(|p| !p.is_empty()) {
            let net = match IpNet::from_str(part) {
                Ok(n) => n.trunc(),
                Err(_) => match IpAddr::from_str(part) {
                    Ok(a) => IpNet::from(a),
                    Err(_) => return Err(format!("{part:?} is not an IP address or CIDR block")),
                },
            };
            nets.push(net);
        }
        Ok(Self(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` (as Cloudflare reports it) may pass. An unparsable address never passes a
    /// non-empty list.
    pub fn allows(&self, ip: &str) -> bool {
        if self.0.is_empty() {
            return true;
        }
        let Ok(addr) = IpAddr::from_str(ip.trim()) else { return false };
        // IPv4-mapped IPv6 addresses count as their IPv4 address.
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            v4 => v4,
        };
        self.0.iter().any(|n| n.contains(&addr))
    }

    /// The canonical stored form.
    pub fn to_stored(&self) -> String {
        self.0.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_and_ipv6_blocks() {
        let l = IpAllowlist::parse("203.0.113.0/24, 2001:db8::/32\n198.51.100.7").unwrap();
        assert!(l.allows("203.0.113.9"));
        assert!(!l.allows("203.0.114.1"));
        assert!(l.allows("198.51.100.7"));
        assert!(!l.allows("198.51.100.8"));
        assert!(l.allows("2001:db8:1::5"));
        assert!(!l.allows("2001:db9::1"));
        assert!(l.allows("::ffff:203.0.113.20"));
        assert!(!l.allows(""));
        assert!(!l.allows("not-an-ip"));
        assert_eq!(l.to_stored(), "203.0.113.0/24, 2001:db8::/32, 198.51.100.7/32");
    }

    #[test]
    fn empty_allows_all_and_errors_name_the_entry() {
        assert!(IpAllowlist::parse("").unwrap().allows("192.0.2.1"));
        assert!(IpAllowlist::parse(" , ").unwrap().is_empty());
        assert_eq!(IpAllowlist::parse("10.0.0.0/8, 300.1.1.1").unwrap_err(), "\"300.1.1.1\" is not an IP address or CIDR block");
        // Host bits are cleared: 10.1.2.3/8 means 10.0.0.0/8.
        assert!(IpAllowlist::parse("10.1.2.3/8").unwrap().allows("10.200.0.1"));
    }
}
