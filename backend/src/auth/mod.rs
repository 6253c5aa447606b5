//! The auth server under `/api/auth`, speaking Better Auth's HTTP API:
//! email/password sign-up and sign-in, cookie sessions, EdDSA JWTs and JWKS.

mod cookies;
mod crypto;
mod guards;
mod jwt;
mod key_source;
mod keys;
mod limiter;
mod operator;
mod password;
pub(crate) mod routes;
mod secrets;
mod session;
mod state;
mod store;
mod throttle;

use rocket::fairing::AdHoc;

pub(crate) use key_source::LocalKeys;
pub(crate) use operator::{keys_command, KEYS_USAGE};
pub(crate) use state::AuthState;

/// Mounts the auth routes; `state` is built (and validated) before launch.
pub(crate) fn stage(state: AuthState) -> AdHoc {
    AdHoc::on_ignite("Auth server", |rocket| async move { rocket.manage(state).mount("/api/auth", routes::routes()) })
}
