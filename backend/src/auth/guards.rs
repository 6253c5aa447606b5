//! Request guards of the auth endpoints: who the client is (IP, user agent),
//! the CSRF origin check, and the per-IP rate limit.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome};
use rocket::Request;
use shared::auth::codes as auth_codes;
use shared::error::codes;

use super::AuthState;
use crate::config::origin_of;
use crate::error::{guard_error, ApiError};

/// The client's address: the socket peer, or — only when the peer is a
/// configured trusted proxy — the nearest untrusted `X-Forwarded-For` hop.
pub fn client_ip(req: &Request<'_>, trusted_proxies: &[IpAddr]) -> IpAddr {
    let peer = req.remote().map(|a| a.ip()).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = req
        .headers()
        .get("X-Forwarded-For")
        .flat_map(|h| h.split(','))
        .filter_map(|hop| hop.trim().parse().ok())
        .collect();
    hops.into_iter().rev().find(|ip| !trusted_proxies.contains(ip)).unwrap_or(peer)
}

/// The auth server's shared state (always managed when these guards run).
fn auth_state<'r>(req: &'r Request<'_>) -> Result<&'r AuthState, ApiError> {
    req.rocket().state::<AuthState>().ok_or_else(|| ApiError::internal("auth state missing"))
}

/// IP and user agent, stored on the session.
pub struct ClientInfo {
    pub ip: IpAddr,
    pub user_agent: Option<String>,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientInfo {
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let auth = match auth_state(req) {
            Ok(auth) => auth,
            Err(e) => return guard_error(req, e),
        };
        let user_agent = req.headers().get_one("User-Agent").map(|ua| ua.chars().take(512).collect());
        Outcome::Success(ClientInfo { ip: client_ip(req, &auth.trusted_proxies), user_agent })
    }
}

/// The origin a browser says the request comes from (`Origin`, else
/// `Referer`); `null` counts as none.
fn request_origin(req: &Request<'_>) -> Option<String> {
    match req.headers().get_one("Origin") {
        Some("null") => None,
        Some(origin) => Some(origin_of(origin).unwrap_or_else(|| origin.to_owned())),
        None => req.headers().get_one("Referer").and_then(origin_of),
    }
}

/// CSRF defence for state-changing auth requests: a request carrying the
/// session cookie must come from a trusted origin; any request that names an
/// origin must name a trusted one.
pub struct TrustedOrigin;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for TrustedOrigin {
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let auth = match auth_state(req) {
            Ok(auth) => auth,
            Err(e) => return guard_error(req, e),
        };
        let has_cookie = req.cookies().get(auth.cookies.name()).is_some();
        match request_origin(req) {
            Some(origin) if auth.trusted_origins.contains(&origin) => Outcome::Success(TrustedOrigin),
            Some(_) => guard_error(req, ApiError::new(Status::Forbidden, auth_codes::INVALID_ORIGIN, "Invalid origin")),
            None if has_cookie => guard_error(
                req,
                ApiError::new(Status::Forbidden, auth_codes::MISSING_OR_NULL_ORIGIN, "Missing or null Origin"),
            ),
            None => Outcome::Success(TrustedOrigin),
        }
    }
}

/// Per (client IP, path) limiter: GCRA with a burst of `max` per `window`.
pub struct Limiter {
    inner: DefaultKeyedRateLimiter<(IpAddr, String)>,
}

/// Past this many tracked clients, idle entries are dropped.
const LIMITER_SWEEP_AT: usize = 10_000;

impl Limiter {
    /// `None` when `max` is 0 (disabled).
    pub fn new(max: u32, window_secs: u64) -> Option<Self> {
        let burst = NonZeroU32::new(max)?;
        let period = Duration::from_secs(window_secs.max(1)) / max;
        let quota = Quota::with_period(period)?.allow_burst(burst);
        Some(Self { inner: RateLimiter::keyed(quota) })
    }

    /// `Err(seconds to wait)` when over the limit.
    pub fn check(&self, ip: IpAddr, path: &str) -> Result<(), u64> {
        if self.inner.len() > LIMITER_SWEEP_AT {
            self.inner.retain_recent();
        }
        self.inner.check_key(&(ip, path.to_owned())).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

/// Passes when the client is under the sign-in/sign-up rate limit; else 429
/// with `Retry-After`.
pub struct RateLimited;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for RateLimited {
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let auth = match auth_state(req) {
            Ok(auth) => auth,
            Err(e) => return guard_error(req, e),
        };
        let Some(limiter) = &auth.limiter else { return Outcome::Success(RateLimited) };
        match limiter.check(client_ip(req, &auth.trusted_proxies), req.uri().path().as_str()) {
            Ok(()) => Outcome::Success(RateLimited),
            Err(wait) => guard_error(
                req,
                ApiError::new(
                    Status::TooManyRequests,
                    codes::TOO_MANY_REQUESTS,
                    "Too many requests. Please try again later.",
                )
                .with_header("Retry-After", wait.to_string())
                .with_header("X-Retry-After", wait.to_string()),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_allows_a_burst_then_says_how_long_to_wait() {
        let limiter = Limiter::new(3, 10).unwrap();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check(ip, "/api/auth/sign-in/email").is_ok());
        }
        let wait = limiter.check(ip, "/api/auth/sign-in/email").unwrap_err();
        assert!((1..=4).contains(&wait), "wait {wait}s");
        assert!(limiter.check(ip, "/api/auth/sign-up/email").is_ok(), "paths are limited separately");
        assert!(limiter.check("192.0.2.2".parse().unwrap(), "/api/auth/sign-in/email").is_ok(), "so are clients");
    }

    #[test]
    fn zero_disables_the_limiter() {
        assert!(Limiter::new(0, 10).is_none());
    }
}
