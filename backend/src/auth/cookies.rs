//! The session cookie: its name, flags and lifetimes for this deployment.

use rocket::http::{Cookie, CookieJar, SameSite};
use rocket::time::Duration as CookieDuration;

use super::crypto::sign_cookie;

pub const COOKIE_NAME: &str = "better-auth.session_token";
pub const SECURE_COOKIE_NAME: &str = "__Secure-better-auth.session_token";
/// A remembered session lives 7 days, extended when used after 1 day.
pub const SESSION_TTL_MS: i64 = 7 * 24 * 3600 * 1000;
pub const SESSION_UPDATE_AGE_MS: i64 = 24 * 3600 * 1000;
/// `rememberMe: false`: one day, browser-session cookie.
pub const SHORT_SESSION_TTL_MS: i64 = 24 * 3600 * 1000;

/// How session cookies are named and flagged for this deployment.
#[derive(Debug, Clone)]
pub struct CookieSettings {
    /// `__Secure-` prefixed and `Secure` when the base URL is https.
    pub secure: bool,
}

impl CookieSettings {
    pub fn name(&self) -> &'static str {
        if self.secure {
            SECURE_COOKIE_NAME
        } else {
            COOKIE_NAME
        }
    }

    /// The cookie carrying `token`; with `max_age_ms` it outlives the
    /// browser session (a remembered session), without it it does not.
    pub fn session_cookie(&self, secret: &str, token: &str, max_age_ms: Option<i64>) -> Cookie<'static> {
        let mut cookie = Cookie::build((self.name(), sign_cookie(secret, token)))
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/")
            .secure(self.secure)
            .build();
        if let Some(ms) = max_age_ms {
            cookie.set_max_age(CookieDuration::milliseconds(ms.max(0)));
        }
        cookie
    }

    /// Removes the session cookie with the same name, `Path`, `Secure`,
    /// `SameSite` and `HttpOnly` it was set with: browsers ignore a
    /// removal of a `__Secure-` cookie that is not itself `Secure`.
    pub fn remove(&self, jar: &CookieJar<'_>) {
        jar.remove(
            Cookie::build(self.name()).path("/").secure(self.secure).same_site(SameSite::Lax).http_only(true).build(),
        );
    }
}
