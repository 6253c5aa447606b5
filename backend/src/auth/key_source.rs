//! The auth server's key store as the task guard's [`KeySource`]: tokens
//! minted here verify against the keys published at `/jwks`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::keys::KeyStore;
use crate::bearer::{KeyRing, KeySource};
use crate::db::Db;

/// A key-store reload for an unknown `kid` happens at most this often.
const REFRESH_COOLDOWN: Duration = Duration::from_secs(5);

pub(crate) struct LocalKeys {
    store: Arc<KeyStore>,
    db: Db,
    last_forced: Mutex<Option<Instant>>,
}

impl LocalKeys {
    pub(crate) fn new(store: Arc<KeyStore>, db: Db) -> Self {
        Self { store, db, last_forced: Mutex::new(None) }
    }

    async fn ring(&self, force: bool) -> Option<Arc<KeyRing>> {
        let read =
            if force { self.store.reload_public_keys(&self.db).await } else { self.store.public_keys(&self.db).await };
        match read {
            Ok(published) => Some(published.ring.clone()),
            Err(e) => {
                tracing::error!("local key store unavailable: {e}");
                None
            }
        }
    }

    /// Whether a forced reload may run now (and if so, marks it as run).
    fn reload_due(&self) -> bool {
        let Ok(mut last) = self.last_forced.lock() else { return false };
        let due = last.is_none_or(|t| t.elapsed() >= REFRESH_COOLDOWN);
        if due {
            *last = Some(Instant::now());
        }
        due
    }
}

#[rocket::async_trait]
impl KeySource for LocalKeys {
    async fn ring_for(&self, kid: &str) -> Option<Arc<KeyRing>> {
        let ring = self.ring(false).await?;
        if ring.contains(kid) || !self.reload_due() {
            return Some(ring);
        }
        // Maybe another replica just rotated: re-read the store.
        self.ring(true).await
    }
}
