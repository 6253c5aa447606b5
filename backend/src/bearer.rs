//! The task API's request guard: a bearer JWT verified against a key source
//! (the local key store, or a remote JWKS such as a real Better Auth server's),
//! and the path's `user_id` matched against the token's `sub` (DESIGN.md §4.1).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome};
use rocket::Request;
use serde::Deserialize;
use shared::error::codes;
use tokio::sync::RwLock;

use crate::auth::AuthState;
use crate::db::Db;
use crate::error::{guard_error, ApiError};

/// Tokens longer than this are refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// The only algorithms accepted, and only when the key declares them.
pub const ALLOWED_ALGORITHMS: [Algorithm; 4] = [Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256, Algorithm::PS256];
/// A local key-store reload for an unknown `kid` happens at most this often.
const LOCAL_REFRESH_COOLDOWN: Duration = Duration::from_secs(5);

/// Why a token was refused; logged at debug level, never sent to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    Missing,
    NotBearer,
    TooLarge,
    Malformed,
    NoKid,
    UnknownKid,
    AlgorithmNotAllowed,
    Invalid(String),
    EmptySubject,
}

/// A verification key with the algorithm(s) its JWK allows.
struct VerifyKey {
    algorithms: Vec<Algorithm>,
    key: DecodingKey,
}

/// Keys by `kid`, parsed once per key-set version.
#[derive(Default)]
pub struct KeyRing {
    keys: HashMap<String, VerifyKey>,
}

/// Which allowed algorithms a JWK may be used with: its `alg` if it names
/// one, else what its key type implies (Better Auth's keys carry `alg`).
fn algorithms_for(jwk: &Jwk) -> Vec<Algorithm> {
    let declared = match jwk.common.key_algorithm {
        Some(KeyAlgorithm::EdDSA) => Some(Algorithm::EdDSA),
        Some(KeyAlgorithm::ES256) => Some(Algorithm::ES256),
        Some(KeyAlgorithm::RS256) => Some(Algorithm::RS256),
        Some(KeyAlgorithm::PS256) => Some(Algorithm::PS256),
        Some(_) => return Vec::new(), // HMAC, ES384, RS512, ...: not allowed
        None => None,
    };
    let by_type: Vec<Algorithm> = match &jwk.algorithm {
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => vec![Algorithm::EdDSA],
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => vec![Algorithm::ES256],
        AlgorithmParameters::RSA(_) => vec![Algorithm::RS256, Algorithm::PS256],
        _ => Vec::new(), // symmetric or unsupported curves never verify
    };
    match declared {
        Some(alg) if by_type.contains(&alg) => vec![alg],
        Some(_) => Vec::new(), // `alg` that does not fit the key type
        None => by_type,
    }
}

impl KeyRing {
    pub fn from_jwks(set: &JwkSet) -> Self {
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else { continue };
            let algorithms = algorithms_for(jwk);
            if algorithms.is_empty() {
                tracing::debug!(kid = %kid, "ignoring a JWKS key with no allowed algorithm");
                continue;
            }
            match DecodingKey::from_jwk(jwk) {
                Ok(key) => {
                    keys.insert(kid, VerifyKey { algorithms, key });
                }
                Err(e) => tracing::warn!(kid = %kid, "ignoring an unusable JWKS key: {e}"),
            }
        }
        Self { keys }
    }

    pub fn contains(&self, kid: &str) -> bool {
        self.keys.contains_key(kid)
    }

    fn len(&self) -> usize {
        self.keys.len()
    }
}

/// What a valid token must say.
#[derive(Debug, Clone)]
pub struct Expectations {
    pub issuer: String,
    pub audience: String,
    pub leeway_secs: u64,
}

#[derive(Deserialize)]
struct Subject {
    sub: String,
    /// A JSON number: some issuers write it with a fraction.
    exp: f64,
}

/// A token that passed [`verify`]: who it names and until when.
#[derive(Clone)]
pub struct Verified {
    pub sub: String,
    pub exp: i64,
}

/// The bearer token of an `Authorization` header value.
pub fn bearer_token(header: Option<&str>) -> Result<&str, Rejection> {
    let value = header.ok_or(Rejection::Missing)?;
    if value.len() > MAX_TOKEN_BYTES + 7 {
        return Err(Rejection::TooLarge);
    }
    let (scheme, token) = value.split_once(' ').ok_or(Rejection::NotBearer)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Rejection::NotBearer);
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(Rejection::Missing);
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Rejection::TooLarge);
    }
    Ok(token)
}

/// The `kid` a token's header names.
pub fn token_kid(token: &str) -> Result<String, Rejection> {
    decode_header(token).map_err(|_| Rejection::Malformed)?.kid.ok_or(Rejection::NoKid)
}

/// Verifies signature, algorithm, `exp`/`nbf`, `iss`, `aud` and `sub`;
/// returns the subject (the user id) and expiry.
pub fn verify(token: &str, ring: &KeyRing, expect: &Expectations) -> Result<Verified, Rejection> {
    let header = decode_header(token).map_err(|_| Rejection::Malformed)?;
    let kid = header.kid.ok_or(Rejection::NoKid)?;
    let key = ring.keys.get(&kid).ok_or(Rejection::UnknownKid)?;
    if !ALLOWED_ALGORITHMS.contains(&header.alg) || !key.algorithms.contains(&header.alg) {
        return Err(Rejection::AlgorithmNotAllowed);
    }
    let mut validation = Validation::new(header.alg);
    validation.leeway = expect.leeway_secs;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
    validation.set_issuer(&[&expect.issuer]);
    validation.set_audience(&[&expect.audience]);
    let data = decode::<Subject>(token, &key.key, &validation).map_err(|e| Rejection::Invalid(e.to_string()))?;
    if data.claims.sub.trim().is_empty() {
        return Err(Rejection::EmptySubject);
    }
    Ok(Verified { sub: data.claims.sub, exp: data.claims.exp as i64 })
}

/// How many verified tokens are remembered before the cache is pruned.
const VERIFIED_CACHE_MAX: usize = 10_000;

/// Tokens that passed [`verify`], remembered until they expire so a client
/// sending the same token again skips the signature check (most of a
/// request's authentication cost). An entry counts only with the key ring it
/// was verified against: when keys rotate or a JWKS changes, every token is
/// checked afresh. `nbf` needs no re-check: it held once, and time only
/// moves forward.
#[derive(Default)]
pub struct VerifiedTokens {
    entries: Mutex<HashMap<Box<str>, (Verified, Arc<KeyRing>)>>,
}

impl VerifiedTokens {
    fn get(&self, token: &str, ring: &Arc<KeyRing>, now: i64, leeway: u64) -> Option<String> {
        let entries = self.entries.lock().ok()?;
        let (verified, verified_with) = entries.get(token)?;
        let leeway = i64::try_from(leeway).unwrap_or(i64::MAX);
        (Arc::ptr_eq(verified_with, ring) && verified.exp >= now.saturating_sub(leeway)).then(|| verified.sub.clone())
    }

    fn insert(&self, token: &str, ring: &Arc<KeyRing>, verified: &Verified, now: i64) {
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

/// Where verification keys come from.
pub enum KeySource {
    /// This server's own key store (the default).
    Local(LocalKeys),
    /// A JWKS over HTTP (`JWKS_URL`).
    Remote(RemoteJwks),
}

impl KeySource {
    /// The key ring to verify a token with `kid` against, refreshed (rate
    /// limited) when the `kid` is unknown. `None`: no keys could be had.
    async fn ring_for(&self, kid: &str, auth: &AuthState, db: &Db) -> Option<Arc<KeyRing>> {
        match self {
            KeySource::Local(local) => local.ring_for(kid, auth, db).await,
            KeySource::Remote(remote) => remote.ring_for(kid).await,
        }
    }
}

/// Verification keys from the local key store, parsed once per key set.
#[derive(Default)]
pub struct LocalKeys {
    cached: Mutex<Option<(Arc<Vec<crate::auth::keys::PublicJwk>>, Arc<KeyRing>)>>,
    last_forced: Mutex<Option<Instant>>,
}

impl LocalKeys {
    async fn ring_for(&self, kid: &str, auth: &AuthState, db: &Db) -> Option<Arc<KeyRing>> {
        let ring = self.ring(auth, db, false).await?;
        if ring.contains(kid) {
            return Some(ring);
        }
        // Maybe another replica just rotated: re-read the store, at most once per cooldown.
        let due = {
            let mut last = self.last_forced.lock().ok()?;
            let due = last.map_or(true, |t| t.elapsed() >= LOCAL_REFRESH_COOLDOWN);
            if due {
                *last = Some(Instant::now());
            }
            due
        };
        if due {
            self.ring(auth, db, true).await
        } else {
            Some(ring)
        }
    }

    async fn ring(&self, auth: &AuthState, db: &Db, force: bool) -> Option<Arc<KeyRing>> {
        let public = match if force { auth.keys.reload_public_keys(db).await } else { auth.keys.public_keys(db).await }
        {
            Ok(p) => p,
            Err(e) => {
                tracing::error!("local key store unavailable: {e}");
                return None;
            }
        };
        let mut cached = self.cached.lock().ok()?;
        if let Some((set, ring)) = cached.as_ref() {
            if Arc::ptr_eq(set, &public) {
                return Some(ring.clone());
            }
        }
        let jwks: JwkSet = serde_json::from_value(serde_json::json!({ "keys": *public })).ok()?;
        let ring = Arc::new(KeyRing::from_jwks(&jwks));
        *cached = Some((public, ring.clone()));
        Some(ring)
    }
}

/// A remote JWKS: cached per its `max-age`, re-fetched on an unknown `kid`
/// at most once per cooldown, concurrent fetches merged into one, the last
/// good set kept while the server is down.
pub struct RemoteJwks {
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

const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);
const MAX_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// `max-age` of a `Cache-Control` value.
pub fn max_age(cache_control: Option<&str>) -> Option<Duration> {
    cache_control?.split(',').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| v.trim().trim_matches('"').parse().ok().map(Duration::from_secs))?
    })
}

impl RemoteJwks {
    pub fn new(url: String, cooldown: Duration) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .user_agent("todo-backend (JWKS)")
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

    /// How many fetches were attempted (for tests and metrics).
    pub fn fetch_count(&self) -> u64 {
        self.attempts.load(Ordering::SeqCst)
    }

    fn is_fresh(&self) -> bool {
        self.fresh_until.lock().ok().and_then(|f| *f).is_some_and(|until| Instant::now() < until)
    }

    fn cooling_down(&self) -> bool {
        self.last_attempt.lock().ok().and_then(|a| *a).is_some_and(|at| at.elapsed() < self.cooldown)
    }

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

    async fn fetch(&self) {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut last) = self.last_attempt.lock() {
            *last = Some(Instant::now());
        }
        let result = async {
            let response = self.client.get(&self.url).send().await?.error_for_status()?;
            let age = max_age(response.headers().get("cache-control").and_then(|v| v.to_str().ok()));
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((body, age))
        }
        .await;
        match result {
            Ok((body, age)) => match serde_json::from_slice::<JwkSet>(&body) {
                Ok(set) => {
                    let ring = KeyRing::from_jwks(&set);
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

/// The bearer-token state, managed by Rocket.
pub struct BearerState {
    pub source: KeySource,
    pub expect: Expectations,
    pub verified: VerifiedTokens,
}

impl BearerState {
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        let source = match &settings.jwks_url {
            Some(url) => KeySource::Remote(RemoteJwks::new(
                url.clone(),
                Duration::from_secs(settings.jwks_refetch_cooldown_secs),
            )),
            None => KeySource::Local(LocalKeys::default()),
        };
        let expect = Expectations {
            issuer: settings.jwt_issuer.clone(),
            audience: settings.jwt_audience.clone(),
            leeway_secs: settings.jwt_leeway_secs,
        };
        Self { source, expect, verified: VerifiedTokens::default() }
    }
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(Status::Unauthorized, codes::UNAUTHORIZED, message)
        .with_header("WWW-Authenticate", r#"Bearer error="invalid_token""#)
}

/// The `sub` of the request's bearer JWT, if it is valid.
async fn authenticate(req: &Request<'_>) -> Result<String, ApiError> {
    let (Some(state), Some(auth), Some(db)) =
        (req.rocket().state::<BearerState>(), req.rocket().state::<AuthState>(), req.rocket().state::<Db>())
    else {
        return Err(ApiError::internal("bearer state missing"));
    };
    let outcome = async {
        let token = bearer_token(req.headers().get_one("Authorization"))?;
        let kid = token_kid(token)?;
        let ring = state.source.ring_for(&kid, auth, db).await.ok_or(Rejection::UnknownKid)?;
        let now = crate::db::now_millis() / 1000;
        if let Some(sub) = state.verified.get(token, &ring, now, state.expect.leeway_secs) {
            return Ok(sub);
        }
        let verified = verify(token, &ring, &state.expect)?;
        state.verified.insert(token, &ring, &verified, now);
        Ok(verified.sub)
    }
    .await;
    match outcome {
        Ok(user_id) => Ok(user_id),
        Err(Rejection::Missing | Rejection::NotBearer) => Err(unauthorized("Missing bearer token")),
        Err(reason) => {
            tracing::debug!(?reason, "bearer token refused");
            Err(unauthorized("Invalid or expired token"))
        }
    }
}

/// A valid token whose `sub` is the `<user_id>` of `/api/<user_id>/...`:
/// else 401 (bad token) or 403 (someone else's path).
pub struct Owner {
    pub user_id: String,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Owner {
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let user_id = match authenticate(req).await {
            Ok(sub) => sub,
            Err(e) => return guard_error(req, e),
        };
        match req.uri().path().segments().get(1) {
            Some(path_user) if path_user == user_id => Outcome::Success(Owner { user_id }),
            _ => guard_error(
                req,
                ApiError::new(Status::Forbidden, codes::FORBIDDEN, "You do not have access to this user's tasks"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_header_parsing() {
        assert_eq!(bearer_token(Some("Bearer abc")), Ok("abc"));
        assert_eq!(bearer_token(Some("bearer  abc ")), Ok("abc"));
        assert_eq!(bearer_token(None), Err(Rejection::Missing));
        assert_eq!(bearer_token(Some("Basic abc")), Err(Rejection::NotBearer));
        assert_eq!(bearer_token(Some("Bearer ")), Err(Rejection::Missing));
        assert_eq!(
            bearer_token(Some(&format!("Bearer {}", "a".repeat(MAX_TOKEN_BYTES + 1)))),
            Err(Rejection::TooLarge)
        );
    }

    #[test]
    fn verified_tokens_count_until_expiry_and_only_with_their_key_ring() {
        let ring = || Arc::new(KeyRing::from_jwks(&JwkSet { keys: vec![] }));
        let (ring_a, ring_b) = (ring(), ring());
        let cache = VerifiedTokens::default();
        cache.insert("t1", &ring_a, &Verified { sub: "u1".into(), exp: 1_000 }, 900);
        assert_eq!(cache.get("t1", &ring_a, 1_000, 0).as_deref(), Some("u1"));
        assert_eq!(cache.get("t1", &ring_a, 1_001, 0), None, "expired");
        assert_eq!(cache.get("t1", &ring_a, 1_030, 30).as_deref(), Some("u1"), "within the leeway");
        assert_eq!(cache.get("t1", &ring_b, 1_000, 0), None, "keys changed: verify again");
        assert_eq!(cache.get("t2", &ring_a, 1_000, 0), None);
    }

    #[test]
    fn the_verified_token_cache_stays_bounded() {
        let ring = Arc::new(KeyRing::from_jwks(&JwkSet { keys: vec![] }));
        let cache = VerifiedTokens::default();
        for i in 0..VERIFIED_CACHE_MAX {
            // half of them expired by `now`
            cache.insert(
                &format!("t{i}"),
                &ring,
                &Verified { sub: "u".into(), exp: if i % 2 == 0 { 10 } else { 5_000 } },
                100,
            );
        }
        assert_eq!(cache.len(), VERIFIED_CACHE_MAX);
        cache.insert("one-more", &ring, &Verified { sub: "u".into(), exp: 5_000 }, 100);
        assert_eq!(cache.len(), VERIFIED_CACHE_MAX / 2 + 1, "expired entries pruned first");
    }

    #[test]
    fn cache_control_max_age() {
        assert_eq!(max_age(Some("public, max-age=600")), Some(Duration::from_secs(600)));
        assert_eq!(max_age(Some("no-cache")), None);
        assert_eq!(max_age(None), None);
    }

    #[test]
    fn jwk_algorithms_follow_alg_and_key_type() {
        let jwk = |v: serde_json::Value| serde_json::from_value::<Jwk>(v).unwrap();
        let ed = jwk(
            serde_json::json!({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"a"}),
        );
        assert_eq!(algorithms_for(&ed), [Algorithm::EdDSA]);
        let hmac = jwk(serde_json::json!({"kty":"oct","k":"c2VjcmV0","kid":"h","alg":"HS256"}));
        assert!(algorithms_for(&hmac).is_empty());
        let lying = jwk(
            serde_json::json!({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"l","alg":"RS256"}),
        );
        assert!(algorithms_for(&lying).is_empty(), "an alg that does not fit the key type is refused");
    }
}
