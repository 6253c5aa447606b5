//! A remote JWKS (`JWKS_URL`), e.g. a real Better Auth server's: cached per
//! its `max-age`, re-fetched on an unknown `kid` at most once per cooldown,
//! concurrent fetches merged into one, the last good set kept while the
//! server is down. A fetch follows no redirect (a 3xx is a failed fetch),
//! reads at most 64 KiB and uses at most the first 32 keys (DESIGN §10).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use tokio::sync::RwLock;

use super::ring::KeyRing;
use super::state::KeySource;

const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);
const MAX_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// A key set is a few KiB; anything past this is not one.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;
/// Keys used from one set; the rest are ignored.
pub(crate) const MAX_KEYS: usize = 32;

/// Why a fetch gave no key set.
#[derive(Debug)]
enum FetchError {
    Http(reqwest::Error),
    Status(reqwest::StatusCode),
    TooLarge,
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Http(e) => write!(f, "{e}"),
            FetchError::Status(s) if s.is_redirection() => write!(f, "answered {s}; redirects are not followed"),
            FetchError::Status(s) => write!(f, "answered {s}"),
            FetchError::TooLarge => write!(f, "body over {MAX_BODY_BYTES} bytes"),
        }
    }
}

impl From<reqwest::Error> for FetchError {
    fn from(e: reqwest::Error) -> Self {
        FetchError::Http(e)
    }
}

/// The body of `response`, refused past `MAX_BODY_BYTES` (read in chunks, so
/// a huge or endless body is never held).
async fn capped_body(mut response: reqwest::Response) -> Result<Vec<u8>, FetchError> {
    if response.content_length().is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(FetchError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(FetchError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub(crate) struct RemoteJwks {
    url: String,
    client: reqwest::Client,
    ring: RwLock<Option<Arc<KeyRing>>>,
    fresh_until: Mutex<Option<Instant>>,
    last_attempt: Mutex<Option<Instant>>,
    /// Bumped by every fetch attempt; lets waiters see a fetch happened.
    attempts: AtomicU64,
    fetching: tokio::sync::Mutex<()>,
    cooldown: Duration,
}

/// `max-age` of a `Cache-Control` value.
fn max_age(cache_control: Option<&str>) -> Option<Duration> {
    cache_control?.split(',').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| v.trim().trim_matches('"').parse().ok().map(Duration::from_secs))?
    })
}

impl RemoteJwks {
    pub(crate) fn new(url: String, cooldown: Duration) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .user_agent("todo-backend (JWKS)")
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client with default TLS settings");
        Self {
            url,
            client,
            ring: RwLock::new(None),
            fresh_until: Mutex::new(None),
            last_attempt: Mutex::new(None),
            attempts: AtomicU64::new(0),
            fetching: tokio::sync::Mutex::new(()),
            cooldown,
        }
    }

    fn is_fresh(&self) -> bool {
        self.fresh_until.lock().ok().and_then(|f| *f).is_some_and(|until| Instant::now() < until)
    }

    fn cooling_down(&self) -> bool {
        self.last_attempt.lock().ok().and_then(|a| *a).is_some_and(|at| at.elapsed() < self.cooldown)
    }

    async fn fetch(&self) {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut last) = self.last_attempt.lock() {
            *last = Some(Instant::now());
        }
        let result = async {
            let response = self.client.get(&self.url).send().await?;
            if !response.status().is_success() {
                return Err(FetchError::Status(response.status()));
            }
            let age = max_age(response.headers().get("cache-control").and_then(|v| v.to_str().ok()));
            let body = capped_body(response).await?;
            Ok::<_, FetchError>((body, age))
        }
        .await;
        match result {
            Ok((body, age)) => match serde_json::from_slice::<JwkSet>(&body) {
                Ok(set) => {
                    if set.keys.len() > MAX_KEYS {
                        tracing::warn!(
                            "JWKS from {} lists {} keys; using the first {MAX_KEYS}",
                            self.url,
                            set.keys.len()
                        );
                    }
                    let ring = KeyRing::from_keys(set.keys.iter().take(MAX_KEYS));
                    tracing::info!(keys = ring.len(), "fetched JWKS from {}", self.url);
                    *self.ring.write().await = Some(Arc::new(ring));
                    if let Ok(mut fresh) = self.fresh_until.lock() {
                        *fresh = Some(Instant::now() + age.unwrap_or(DEFAULT_MAX_AGE).min(MAX_MAX_AGE));
                    }
                }
                Err(e) => tracing::warn!("JWKS from {} is not a key set ({e}); keeping the last good one", self.url),
            },
            Err(e) => tracing::warn!("JWKS fetch from {} failed ({e}); keeping the last good key set", self.url),
        }
    }
}

#[rocket::async_trait]
impl KeySource for RemoteJwks {
    async fn ring_for(&self, kid: &str) -> Option<Arc<KeyRing>> {
        let current = self.ring.read().await.clone();
        let known = current.as_ref().is_some_and(|r| r.contains(kid));
        if known && self.is_fresh() {
            return current;
        }
        if self.cooling_down() {
            // A random `kid` must not cause a fetch per request.
            return current;
        }
        let seen = self.attempts.load(Ordering::SeqCst);
        let _one_fetch = self.fetching.lock().await;
        if self.attempts.load(Ordering::SeqCst) != seen {
            // Someone fetched while we waited: use their result.
            return self.ring.read().await.clone();
        }
        self.fetch().await;
        self.ring.read().await.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_max_age() {
        assert_eq!(max_age(Some("public, max-age=600")), Some(Duration::from_secs(600)));
        assert_eq!(max_age(Some("no-cache")), None);
        assert_eq!(max_age(None), None);
    }
}
