//! The sign-in/sign-up rate limiter's memory: GCRA buckets per client and path.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Per (client IP, path) limiter: GCRA with a burst of `max` per `window`.
pub struct Limiter {
    inner: DefaultKeyedRateLimiter<(IpAddr, String)>,
}

/// Past this many tracked clients, idle entries are dropped.
const LIMITER_SWEEP_AT: usize = 10_000;

impl Limiter {
    /// `None` when `max` is 0 (disabled).
    pub fn new(max: u32, window_secs: u64) -> Option<Self> {
        let burst = NonZeroU32::new(max)?;
        let period = Duration::from_secs(window_secs.max(1)) / max;
        let quota = Quota::with_period(period)?.allow_burst(burst);
        Some(Self { inner: RateLimiter::keyed(quota) })
    }

    /// `Err(seconds to wait)` when over the limit.
    pub fn check(&self, ip: IpAddr, path: &str) -> Result<(), u64> {
        if self.inner.len() > LIMITER_SWEEP_AT {
            self.inner.retain_recent();
        }
        self.inner.check_key(&(ip, path.to_owned())).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
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
    fn zero_disables_the_limiter() {
        assert!(Limiter::new(0, 10).is_none());
    }
}
