//! Calls to the auth server (Better Auth's endpoints; cookie session).

use gloo_net::http::Method;
use shared::auth::{SessionResponse, SignInRequest, SignInResponse, SignUpRequest, SignUpResponse, TokenResponse, User};

use super::{auth_url, request, ApiError};

fn json(value: &impl serde::Serialize) -> Option<String> {
    serde_json::to_string(value).ok()
}

/// The session (or `None`), and the JWT the server sent alongside.
pub async fn get_session() -> Result<(Option<SessionResponse>, Option<String>), ApiError> {
    let reply = request::<Option<SessionResponse>>(Method::GET, &auth_url("/get-session")?, None, None).await?;
    let jwt = reply.headers.get("set-auth-jwt");
    Ok((reply.body, jwt))
}

pub async fn sign_in(email: &str, password: &str, remember_me: bool) -> Result<User, ApiError> {
    let body = SignInRequest { email: email.into(), password: password.into(), remember_me: Some(remember_me), callback_url: None };
    let reply = request::<SignInResponse>(Method::POST, &auth_url("/sign-in/email")?, None, json(&body)).await?;
    Ok(reply.body.user)
}

pub async fn sign_up(name: &str, email: &str, password: &str) -> Result<User, ApiError> {
    let body = SignUpRequest {
        name: name.into(),
        email: email.into(),
        password: password.into(),
        image: None,
        callback_url: None,
        remember_me: None,
    };
    let reply = request::<SignUpResponse>(Method::POST, &auth_url("/sign-up/email")?, None, json(&body)).await?;
    Ok(reply.body.user)
}

pub async fn sign_out() -> Result<(), ApiError> {
    request::<serde::de::IgnoredAny>(Method::POST, &auth_url("/sign-out")?, None, Some("{}".into())).await.map(|_| ())
}

/// A fresh JWT for the signed-in session.
pub async fn token() -> Result<String, ApiError> {
    Ok(request::<TokenResponse>(Method::GET, &auth_url("/token")?, None, None).await?.body.token)
}
