//! Client addresses: trusted reverse proxies (`http.trusted_proxies`), the client address they
//! forward in `X-Forwarded-For`, and the per-address connection count.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// One address or a CIDR range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    base: IpAddr,
    prefix: u8,
}

fn bits(ip: IpAddr) -> (u128, u8) {
    match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => (u128::from(u32::from(v4)), 32),
            None => (u128::from(v6), 128),
        },
    }
}

impl IpRange {
    /// Parses `ADDR` or `ADDR/PREFIX`; `None` when malformed.
    pub fn parse(text: &str) -> Option<IpRange> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
            None => (text, None),
        };
        let base: IpAddr = addr.parse().ok()?;
        let (_, width) = bits(base);
        let prefix = prefix.unwrap_or(width);
        (prefix <= width).then_some(IpRange { base, prefix })
    }

    /// Whether `ip` lies in the range (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (a, wa) = bits(self.base);
        let (b, wb) = bits(ip);
        if wa != wb {
            return false;
        }
        if self.prefix == 0 {
            return true;
        }
        let shift = u32::from(wa - self.prefix);
        (a >> shift) == (b >> shift)
    }
}

/// Whether `ip` is one of the trusted proxies.
pub(crate) fn is_trusted(trusted: &[IpRange], ip: IpAddr) -> bool {
    trusted.iter().any(|r| r.contains(ip))
}

/// The client address of a request received from `peer`: when `peer` is a trusted proxy, the
/// rightmost hop of `X-Forwarded-For` that is not itself a trusted proxy (the hops to its left
/// may be forged by the client); otherwise `peer`, whatever the header says.
pub(crate) fn client_address<'a>(
    trusted: &[IpRange],
    peer: IpAddr,
    forwarded_for: impl Iterator<Item = &'a str>,
) -> IpAddr {
    if !is_trusted(trusted, peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded_for.flat_map(|v| v.split(',')).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            // A malformed hop ends what can be believed.
            break;
        };
        client = ip;
        if !is_trusted(trusted, ip) {
            break;
        }
    }
    client
}

/// Counts open connections per client address.
#[derive(Debug, Clone, Default)]
pub(crate) struct PerAddress {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One counted connection; dropping it frees its place.
#[derive(Debug)]
pub(crate) struct AddressSlot {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl PerAddress {
    /// Takes a place for `ip` unless it already holds `max` connections.
    pub(crate) fn try_take(&self, ip: IpAddr, max: usize) -> Option<AddressSlot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            open: self.open.clone(),
            ip,
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_match_their_prefix() {
        let r = IpRange::parse("10.1.0.0/16").unwrap();
        assert!(r.contains(ip("10.1.200.3")));
        assert!(!r.contains(ip("10.2.0.1")));
        assert!(r.contains(ip("::ffff:10.1.0.9")));
        assert!(IpRange::parse("192.0.2.7")
            .unwrap()
            .contains(ip("192.0.2.7")));
        assert!(!IpRange::parse("192.0.2.7")
            .unwrap()
            .contains(ip("192.0.2.8")));
        assert!(IpRange::parse("2001:db8::/32")
            .unwrap()
            .contains(ip("2001:db8:1::1")));
        assert!(IpRange::parse("10.0.0.0/33").is_none());
        assert!(IpRange::parse("nowhere").is_none());
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted = [IpRange::parse("10.0.0.0/8").unwrap()];
        let hops = ["6.6.6.6, 203.0.113.5", "10.0.0.2"];
        assert_eq!(
            client_address(&trusted, ip("10.0.0.1"), hops.iter().copied()),
            ip("203.0.113.5")
        );
        // From anyone else, the header is ignored.
        assert_eq!(
            client_address(&trusted, ip("198.51.100.1"), hops.iter().copied()),
            ip("198.51.100.1")
        );
        assert_eq!(
            client_address(&trusted, ip("10.0.0.1"), std::iter::empty()),
            ip("10.0.0.1")
        );
        assert_eq!(
            client_address(&trusted, ip("10.0.0.1"), ["garbage"].iter().copied()),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn per_address_slots_are_bounded_and_freed() {
        let p = PerAddress::default();
        let a = p.try_take(ip("127.0.0.1"), 2).unwrap();
        let _b = p.try_take(ip("127.0.0.1"), 2).unwrap();
        assert!(p.try_take(ip("127.0.0.1"), 2).is_none());
        assert!(p.try_take(ip("127.0.0.2"), 2).is_some());
        drop(a);
        assert!(p.try_take(ip("127.0.0.1"), 2).is_some());
    }
}
