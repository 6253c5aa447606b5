//! What every auth endpoint shares, built (and validated) before launch.

use std::net::IpAddr;
use std::sync::Arc;

use super::cookies::CookieSettings;
use super::keys::KeyStore;
use super::limiter::Limiter;
use super::mail::Mailer;
use super::outbox::Outbox;
use super::password::Hasher;
use super::secrets::Secrets;
use super::throttle::{AccountLocks, ThrottlePolicy};
use crate::config::{ConfigError, Settings};

/// The signing-key store for these settings (also used by `backend keys`).
pub(crate) fn key_store(settings: &Settings, secrets: Secrets) -> KeyStore {
    KeyStore::new(
        secrets,
        settings.jwks_rotation_secs,
        settings.jwks_grace_secs,
        std::time::Duration::from_secs(settings.jwks_reload_interval_secs.unsigned_abs()),
    )
}

/// The window of the reset and verification requests' limit (Better Auth's).
const MAIL_WINDOW_SECS: u64 = 60;

/// Everything the auth endpoints share; managed by Rocket.
pub(crate) struct AuthState {
    pub(crate) secrets: Secrets,
    pub(crate) hasher: Hasher,
    pub(crate) keys: Arc<KeyStore>,
    pub(crate) cookies: CookieSettings,
    pub(crate) limiter: Option<Limiter>,
    /// The per-account sign-in throttle's settings.
    pub(crate) throttle: ThrottlePolicy,
    pub(crate) account_locks: AccountLocks,
    /// The base URL's origin plus `TRUSTED_ORIGINS`.
    pub(crate) trusted_origins: Vec<String>,
    pub(crate) trusted_proxies: Vec<IpAddr>,
    /// `SESSION_MAX_LIFETIME`: no session lives past `created_at` plus this.
    pub(crate) session_max_lifetime_ms: i64,
    pub(crate) issuer: String,
    pub(crate) audience: String,
    /// `BETTER_AUTH_URL` without a trailing `/`: mail links start with it.
    pub(crate) base_url: String,
    /// The mail transport; `None` turns reset and verification off.
    pub(crate) mailer: Option<Arc<Mailer>>,
    pub(crate) outbox: Outbox,
    /// Reset and verification requests: Better Auth's 3 per 60 s per route.
    pub(crate) mail_limiter: Option<Limiter>,
    pub(crate) require_email_verification: bool,
    pub(crate) reset_token_secs: i64,
    pub(crate) verification_token_secs: i64,
}

impl AuthState {
    pub(crate) fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        let secrets = Secrets::load(settings)?;
        let mut trusted_origins = vec![settings.base_origin.clone()];
        trusted_origins.extend(settings.trusted_origins.iter().cloned());
        // One core stays free of argon2: a memory-hard hash on every core
        // evicts the caches the request threads run from, however low its
        // priority (bench scenario 7: list p99 x2.6 with 2 hashing threads
        // on 2 cores, x1.6 with 1).
        let hash_workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).saturating_sub(1).max(1);
        Ok(Self {
            keys: Arc::new(key_store(settings, secrets.clone())),
            secrets,
            hasher: Hasher::new(
                hash_workers,
                std::time::Duration::from_secs(settings.password_queue_timeout_secs.unsigned_abs()),
            ),
            cookies: CookieSettings { secure: settings.base_url.starts_with("https://") },
            limiter: Limiter::new(settings.auth_rate_limit_max, settings.auth_rate_limit_window_secs),
            account_locks: AccountLocks::default(),
            throttle: ThrottlePolicy {
                max_failures: settings.auth_account_max_failures,
                backoff_ms: settings.auth_account_backoff_secs.saturating_mul(1000),
            },
            trusted_origins,
            trusted_proxies: settings.trusted_proxies.clone(),
            session_max_lifetime_ms: settings.session_max_lifetime_secs.saturating_mul(1000),
            base_url: settings.base_url.trim_end_matches('/').to_owned(),
            mailer: Mailer::from_settings(settings)?.map(Arc::new),
            outbox: Outbox::default(),
            mail_limiter: Limiter::new(settings.auth_rate_limit_max, MAIL_WINDOW_SECS),
            require_email_verification: settings.require_email_verification,
            reset_token_secs: settings.reset_token_secs,
            verification_token_secs: settings.verification_token_secs,
            issuer: settings.jwt_issuer.clone(),
            audience: settings.jwt_audience.clone(),
        })
    }
}
