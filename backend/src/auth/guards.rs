//! Request guards of the auth endpoints: who the client is (IP, user agent),
//! the CSRF origin check, and the per-IP rate limit (see `limiter`).

use std::net::{IpAddr, Ipv4Addr};

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome};
use rocket::Request;
use shared::auth::codes as auth_codes;

use super::limiter::Limiter;
use super::state::AuthState;
use crate::config::origin_of;
use crate::connection::Peer;
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

/// IP and user agent, stored on the session; the connection, so a password
/// check can be dropped when its client has left.
pub struct ClientInfo {
    pub ip: IpAddr,
    pub user_agent: Option<String>,
    pub peer: Option<Peer>,
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
        Outcome::Success(ClientInfo { ip: client_ip(req, &auth.trusted_proxies), user_agent, peer: Peer::of(req) })
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

/// Passes when the client is under the sign-in/sign-up rate limit; else 429
/// with `Retry-After`.
pub struct RateLimited;

/// The same for reset and verification requests, over a longer window.
pub struct MailRateLimited;

/// Checks `pick`'s limiter for this client and the matched route.
fn limit<'r, T>(req: &'r Request<'_>, pick: fn(&AuthState) -> Option<&Limiter>, ok: T) -> Outcome<T, ApiError> {
    let auth = match auth_state(req) {
        Ok(auth) => auth,
        Err(e) => return guard_error(req, e),
    };
    let Some(limiter) = pick(auth) else { return Outcome::Success(ok) };
    // The matched route's template: every spelling of it is one bucket.
    let route = req.route().map(|r| format!("{} {}", r.method, r.uri));
    match limiter.check(client_ip(req, &auth.trusted_proxies), route.as_deref().unwrap_or_default()) {
        Ok(()) => Outcome::Success(ok),
        Err(wait) => guard_error(req, ApiError::too_many_requests("Too many requests. Please try again later.", wait)),
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for RateLimited {
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        limit(req, |auth| auth.limiter.as_ref(), RateLimited)
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for MailRateLimited {
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        limit(req, |auth| auth.mail_limiter.as_ref(), MailRateLimited)
    }
}
