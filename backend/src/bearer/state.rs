//! What the guard needs at run time: a key source, the expected claims and
//! the verified-token cache.

use std::sync::Arc;

use super::cache::VerifiedTokens;
use super::ring::{Expectations, KeyRing};

/// Where verification keys come from: the auth server's key store, or a
/// remote JWKS ([`RemoteJwks`](super::RemoteJwks)).
#[rocket::async_trait]
pub(crate) trait KeySource: Send + Sync {
    /// The key ring to verify a token naming `kid` against, refreshed (rate
    /// limited) when the `kid` is unknown. `None`: no keys could be had.
    async fn ring_for(&self, kid: &str) -> Option<Arc<KeyRing>>;
}

/// The bearer-token state, managed by Rocket.
pub(crate) struct BearerState {
    pub(crate) source: Arc<dyn KeySource>,
    pub(crate) expect: Expectations,
    pub(crate) verified: VerifiedTokens,
}

impl BearerState {
    pub(crate) fn new(source: Arc<dyn KeySource>, expect: Expectations) -> Self {
        Self { source, expect, verified: VerifiedTokens::default() }
    }
}
