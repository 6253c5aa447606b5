//! The sign-in/sign-up rate limiter's memory: GCRA buckets per client and
//! route. The route is the matched Rocket route, never the raw path, so every
//! spelling Rocket routes to one handler (`//`, a trailing `/`, `%65mail`,
//! `/%61pi/…`) shares one bucket, and a key's size does not depend on
//! anything the client sends.

use std::net::{IpAddr, Ipv6Addr};

use crate::limit::{key_of, whole_secs, Buckets};

/// Per (client, route) limiter: GCRA with a burst of `max` per `window`.
/// The route's template is kept by its hash: a fixed size per key.
pub struct Limiter(Buckets<(IpAddr, u64)>);

/// Who a request counts against: an IPv4 address; an IPv6 address by its
/// /64 (one subscriber's network: the lower half is theirs to vary);
/// an IPv4-mapped IPv6 address as the IPv4 address it is.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

impl Limiter {
    /// `None` when `max` is 0 (disabled).
    pub fn new(max: u32, window_secs: u64) -> Option<Self> {
        Buckets::new(max, window_secs).map(Limiter)
    }

    /// `Err(seconds to wait)` when over the limit. `route` names the
    /// matched route (its URI template), not what the client typed.
    pub fn check(&self, ip: IpAddr, route: &str) -> Result<(), u64> {
        self.0.check(&(client_key(ip), key_of(route))).map_err(whole_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_allows_a_burst_then_says_how_long_to_wait() {
        let limiter = Limiter::new(3, 10).unwrap();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check(ip, "/api/auth/sign-in/email").is_ok());
        }
        let wait = limiter.check(ip, "/api/auth/sign-in/email").unwrap_err();
        assert!((1..=4).contains(&wait), "wait {wait}s");
        assert!(limiter.check(ip, "/api/auth/sign-up/email").is_ok(), "paths are limited separately");
        assert!(limiter.check("192.0.2.2".parse().unwrap(), "/api/auth/sign-in/email").is_ok(), "so are clients");
    }

    #[test]
    fn an_ipv6_network_is_one_client_and_mapped_ipv4_is_the_ipv4() {
        let limiter = Limiter::new(2, 60).unwrap();
        for ip in ["2001:db8:1:2::1", "2001:db8:1:2:ffff:1:2:3"] {
            assert!(limiter.check(ip.parse().unwrap(), "/sign-in").is_ok());
        }
        assert!(limiter.check("2001:db8:1:2:dead:beef::9".parse().unwrap(), "/sign-in").is_err(), "same /64");
        assert!(limiter.check("2001:db8:1:3::1".parse().unwrap(), "/sign-in").is_ok(), "another /64");

        assert!(limiter.check("192.0.2.7".parse().unwrap(), "/sign-in").is_ok());
        assert!(limiter.check("::ffff:192.0.2.7".parse().unwrap(), "/sign-in").is_ok());
        assert!(limiter.check("192.0.2.7".parse().unwrap(), "/sign-in").is_err(), "mapped = the IPv4 address");
    }

    #[test]
    fn zero_disables_the_limiter() {
        assert!(Limiter::new(0, 10).is_none());
    }
}
