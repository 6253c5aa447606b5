//! Rate-limit buckets by key (GCRA, `governor`) whose memory is bounded by
//! a key count: the auth server's per-(client, route) limit and the task
//! API's per-user budget of distinct list queries both keep one.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::num::NonZeroU32;
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

/// Past this many tracked keys, idle entries are dropped; if that is not
/// enough (that many keys active at once), the map starts over. A key is
/// fixed-size (an address, a hash): ~100 bytes with the map's own, so
/// memory stays under ~10 MiB whatever the requests look like.
pub const MAX_KEYS: usize = 50_000;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

/// A burst of `max` per `window`, refilled evenly, per key.
pub struct Buckets<K: Hash + Eq + Clone> {
    /// Behind a lock only so a full map can be replaced by an empty one.
    inner: RwLock<Keyed<K>>,
    quota: Quota,
}

impl<K: Hash + Eq + Clone> Buckets<K> {
    /// `None` when `max` is 0 (disabled).
    pub fn new(max: u32, window_secs: u64) -> Option<Self> {
        let burst = NonZeroU32::new(max)?;
        let period = Duration::from_secs(window_secs.max(1)) / max;
        let quota = Quota::with_period(period)?.allow_burst(burst);
        Some(Self { inner: RwLock::new(RateLimiter::keyed(quota)), quota })
    }

    pub fn len(&self) -> usize {
        self.inner.read().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Takes one from `key`'s bucket: `Err(time until the next one)` when
    /// it is empty.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        if self.len() >= MAX_KEYS {
            let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
            inner.retain_recent();
            if inner.len() >= MAX_KEYS {
                *inner = RateLimiter::keyed(self.quota);
            }
        }
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        inner.check_key(key).map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// A fixed-size key for a string of any length (a route template, a user
/// id): what the buckets keep is 8 bytes whatever the string.
pub fn key_of(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// A wait as `Retry-After` states it: whole seconds, rounded up.
pub fn whole_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_how_long_to_wait() {
        let buckets = Buckets::new(3, 10).unwrap();
        for _ in 0..3 {
            assert!(buckets.check(&1u64).is_ok());
        }
        let wait = whole_secs(buckets.check(&1u64).unwrap_err());
        assert!((1..=4).contains(&wait), "wait {wait}s");
        assert!(buckets.check(&2u64).is_ok(), "keys are limited separately");
    }

    #[test]
    fn the_key_count_stays_bounded() {
        let buckets = Buckets::new(3, 10).unwrap();
        for key in 0..(MAX_KEYS as u64 + 5_000) {
            let _ = buckets.check(&key);
            assert!(buckets.len() <= MAX_KEYS, "{} keys after {key}", buckets.len());
        }
    }

    #[test]
    fn zero_disables() {
        assert!(Buckets::<u64>::new(0, 10).is_none());
    }
}
