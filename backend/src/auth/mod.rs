//! The auth server under `/api/auth`, speaking Better Auth's HTTP API:
//! email/password sign-up and sign-in, cookie sessions, EdDSA JWTs and JWKS.

pub mod crypto;
pub mod guards;
pub mod jwt;
pub mod keys;
pub mod password;
pub mod routes;
pub mod secrets;
pub mod session;
pub mod store;

use std::net::IpAddr;

use rocket::fairing::AdHoc;

use crate::config::{ConfigError, Settings};
use guards::Limiter;
use keys::KeyStore;
use password::Hasher;
use secrets::Secrets;
use session::CookieSettings;

/// Everything the auth endpoints share; managed by Rocket.
pub struct AuthState {
    pub secrets: Secrets,
    pub hasher: Hasher,
    pub keys: KeyStore,
    pub cookies: CookieSettings,
    pub limiter: Option<Limiter>,
    /// The base URL's origin plus `TRUSTED_ORIGINS`.
    pub trusted_origins: Vec<String>,
    pub trusted_proxies: Vec<IpAddr>,
    pub issuer: String,
    pub audience: String,
}

impl AuthState {
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        let secrets = Secrets::load(settings)?;
        let mut trusted_origins = vec![settings.base_origin.clone()];
        trusted_origins.extend(settings.trusted_origins.iter().cloned());
        // One core stays free of argon2: a memory-hard hash on every core
        // evicts the caches the request threads run from, however low its
        // priority (bench scenario 7: list p99 x2.6 with 2 hashing threads
        // on 2 cores, x1.6 with 1).
        let hash_workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).saturating_sub(1).max(1);
        Ok(Self {
            keys: KeyStore::new(secrets.clone(), settings.jwks_rotation_secs, settings.jwks_grace_secs),
            secrets,
            hasher: Hasher::new(hash_workers),
            cookies: CookieSettings { secure: settings.base_url.starts_with("https://") },
            limiter: Limiter::new(settings.auth_rate_limit_max, settings.auth_rate_limit_window_secs),
            trusted_origins,
            trusted_proxies: settings.trusted_proxies.clone(),
            issuer: settings.jwt_issuer.clone(),
            audience: settings.jwt_audience.clone(),
        })
    }
}

/// Mounts the auth routes; `state` is built (and validated) before launch.
pub fn stage(state: AuthState) -> AdHoc {
    AdHoc::on_ignite("Auth server", |rocket| async move { rocket.manage(state).mount("/api/auth", routes::routes()) })
}
