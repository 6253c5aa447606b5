//! CORS for split-origin deployments (SPA on another origin): preflights
//! answered, exact origins only (`CORS_ORIGINS` plus the base URL's own, so
//! same-origin requests are never refused), credentials allowed so the auth
//! endpoints' cookies work cross-origin, and the headers the SPA reads exposed.

use rocket::http::Method;
use rocket_cors::{AllowedHeaders, AllowedOrigins, Cors, CorsOptions};

use crate::config::{ConfigError, Settings};

/// Headers a cross-origin SPA may read from responses.
pub const EXPOSED_HEADERS: [&str; 5] = ["set-auth-jwt", "X-Total-Count", "Location", "X-Request-Id", "Retry-After"];

pub fn fairing(settings: &Settings) -> Result<Cors, ConfigError> {
    let mut origins: Vec<&str> = settings.cors_origins.iter().map(String::as_str).collect();
    if !origins.contains(&settings.base_origin.as_str()) {
        origins.push(&settings.base_origin);
    }
    CorsOptions {
        allowed_origins: AllowedOrigins::some_exact(&origins),
        allowed_methods: [Method::Get, Method::Post, Method::Put, Method::Patch, Method::Delete]
            .into_iter()
            .map(From::from)
            .collect(),
        allowed_headers: AllowedHeaders::some(&["Authorization", "Content-Type", "Accept", "X-Request-Id"]),
        expose_headers: EXPOSED_HEADERS.iter().map(|h| h.to_string()).collect(),
        allow_credentials: true,
        max_age: Some(600),
        ..Default::default()
    }
    .to_cors()
    .map_err(|e| ConfigError(format!("invalid CORS_ORIGINS: {e}")))
}
