//! Tokens that already passed [`verify`](super::verify), remembered until
//! they expire.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::ring::{KeyRing, Verified};

/// How many verified tokens are remembered before the cache is pruned.
const VERIFIED_CACHE_MAX: usize = 10_000;

/// A client sending the same token again skips the signature check (most of
/// a request's authentication cost). An entry counts only with the key ring
/// it was verified against: when keys rotate or a JWKS changes, every token
/// is checked afresh. `nbf` needs no re-check: it held once, and time only
/// moves forward.
#[derive(Default)]
pub(crate) struct VerifiedTokens {
    entries: Mutex<HashMap<Box<str>, Entry>>,
}

/// What a token was verified as, and against which key ring.
type Entry = (Verified, Arc<KeyRing>);

impl VerifiedTokens {
    pub(crate) fn get(&self, token: &str, ring: &Arc<KeyRing>, now: i64, leeway: u64) -> Option<Verified> {
        let entries = self.entries.lock().ok()?;
        let (verified, verified_with) = entries.get(token)?;
        let leeway = i64::try_from(leeway).unwrap_or(i64::MAX);
        (Arc::ptr_eq(verified_with, ring) && verified.exp >= now.saturating_sub(leeway)).then(|| verified.clone())
    }

    pub(crate) fn insert(&self, token: &str, ring: &Arc<KeyRing>, verified: &Verified, now: i64) {
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.len() >= VERIFIED_CACHE_MAX {
            entries.retain(|_, (v, _)| v.exp >= now);
            if entries.len() >= VERIFIED_CACHE_MAX {
                entries.clear();
            }
        }
        entries.insert(token.into(), (verified.clone(), ring.clone()));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> Arc<KeyRing> {
        Arc::new(KeyRing::default())
    }

    #[test]
    fn verified_tokens_count_until_expiry_and_only_with_their_key_ring() {
        let (ring_a, ring_b) = (ring(), ring());
        let cache = VerifiedTokens::default();
        cache.insert("t1", &ring_a, &Verified { sub: "u1".into(), exp: 1_000 }, 900);
        assert_eq!(cache.get("t1", &ring_a, 1_000, 0).map(|v| v.sub), Some("u1".to_owned()));
        assert!(cache.get("t1", &ring_a, 1_001, 0).is_none(), "expired");
        assert_eq!(cache.get("t1", &ring_a, 1_030, 30).map(|v| v.sub), Some("u1".to_owned()), "within the leeway");
        assert!(cache.get("t1", &ring_b, 1_000, 0).is_none(), "keys changed: verify again");
        assert!(cache.get("t2", &ring_a, 1_000, 0).is_none());
    }

    #[test]
    fn the_verified_token_cache_stays_bounded() {
        let ring = ring();
        let cache = VerifiedTokens::default();
        for i in 0..VERIFIED_CACHE_MAX {
            // half of them expired by `now`
            let exp = if i % 2 == 0 { 10 } else { 5_000 };
            cache.insert(&format!("t{i}"), &ring, &Verified { sub: "u".into(), exp }, 100);
        }
        assert_eq!(cache.len(), VERIFIED_CACHE_MAX);
        cache.insert("one-more", &ring, &Verified { sub: "u".into(), exp: 5_000 }, 100);
        assert_eq!(cache.len(), VERIFIED_CACHE_MAX / 2 + 1, "expired entries pruned first");
    }
}
