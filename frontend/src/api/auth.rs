//! Calls to the auth server (Better Auth's endpoints; cookie session).

use gloo_net::http::Method;
use serde::Deserialize;
use shared::auth::{SignInRequest, SignUpRequest, TokenResponse, User};

use crate::api::error::ApiError;
use crate::api::request::{auth_url, request};

fn json(value: &impl serde::Serialize) -> Option<String> {
    serde_json::to_string(value).ok()
}

/// The part of `get-session`, `sign-in` and `sign-up` answers the SPA uses
/// (`SessionResponse`, `SignInResponse`, `SignUpResponse` in `shared`):
/// one decoder for all three keeps the wasm small.
#[derive(Deserialize)]
struct WithUser {
    user: User,
    /// Sign-up's session token: `null` when the email must be verified
    /// before a session starts (absent from get-session, unused otherwise).
    #[serde(default)]
    token: Option<String>,
}

/// The signed-in user (or `None`), and the JWT the server sent alongside.
pub(crate) async fn get_session() -> Result<(Option<User>, Option<String>), ApiError> {
    let reply = request::<Option<WithUser>>(Method::GET, &auth_url("/get-session")?, None, None).await?;
    let jwt = reply.headers.get("set-auth-jwt");
    Ok((reply.body.map(|s| s.user), jwt))
}

/// POSTs a sign-in or sign-up body; the user it signed in.
async fn signed_in_user(path: &str, body: Option<String>) -> Result<WithUser, ApiError> {
    Ok(request::<WithUser>(Method::POST, &auth_url(path)?, None, body).await?.body)
}

pub(crate) async fn sign_in(email: &str, password: &str, remember_me: bool) -> Result<User, ApiError> {
    let body = SignInRequest {
        email: email.into(),
        password: password.into(),
        remember_me: Some(remember_me),
        callback_url: None,
    };
    Ok(signed_in_user("/sign-in/email", json(&body)).await?.user)
}

/// The new user, and whether a session started (not when the server wants
/// the email verified first).
pub(crate) async fn sign_up(name: &str, email: &str, password: &str) -> Result<(User, bool), ApiError> {
    let body = SignUpRequest {
        name: name.into(),
        email: email.into(),
        password: password.into(),
        image: None,
        callback_url: None,
        remember_me: None,
    };
    let answer = signed_in_user("/sign-up/email", json(&body)).await?;
    Ok((answer.user, answer.token.is_some()))
}

pub(crate) async fn sign_out() -> Result<(), ApiError> {
    request::<serde::de::IgnoredAny>(Method::POST, &auth_url("/sign-out")?, None, Some("{}".into())).await.map(|_| ())
}

/// A fresh JWT for the signed-in session.
pub(crate) async fn token() -> Result<String, ApiError> {
    Ok(request::<TokenResponse>(Method::GET, &auth_url("/token")?, None, None).await?.body.token)
}
