//! Calls that manage the signed-in account and recover a lost one (Better
//! Auth's account endpoints; cookie session). Each answers `{status: true}`
//! or similar on success, which the SPA does not need to read.

use gloo_net::http::Method;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use shared::auth::{
    ChangePasswordRequest, DeleteUserRequest, RequestPasswordResetRequest, ResetPasswordRequest, RevokeSessionRequest,
    SendVerificationEmailRequest,
};

use crate::api::error::ApiError;
use crate::api::request::{auth_url, request};

/// POSTs `body` as JSON to `path` and ignores the success body.
async fn post(path: &str, body: &impl Serialize) -> Result<(), ApiError> {
    let json = serde_json::to_string(body).map_err(|e| ApiError::Decode(e.to_string()))?;
    request::<IgnoredAny>(Method::POST, &auth_url(path)?, None, Some(json)).await.map(|_| ())
}

/// Asks for a reset mail whose link comes back to `redirect_to`. The answer
/// is the same whether or not the email has an account.
pub(crate) async fn request_password_reset(email: &str, redirect_to: &str) -> Result<(), ApiError> {
    let body = RequestPasswordResetRequest { email: email.into(), redirect_to: Some(redirect_to.into()) };
    post("/request-password-reset", &body).await
}

pub(crate) async fn reset_password(token: &str, new_password: &str) -> Result<(), ApiError> {
    post("/reset-password", &ResetPasswordRequest { new_password: new_password.into(), token: Some(token.into()) })
        .await
}

pub(crate) async fn change_password(current: &str, new: &str, revoke_other_sessions: bool) -> Result<(), ApiError> {
    let body = ChangePasswordRequest {
        new_password: new.into(),
        current_password: current.into(),
        revoke_other_sessions: Some(revoke_other_sessions),
    };
    post("/change-password", &body).await
}

/// `update-user` with a new name (its body is an open map on the server).
pub(crate) async fn rename(name: &str) -> Result<(), ApiError> {
    #[derive(Serialize)]
    struct Rename<'a> {
        name: &'a str,
    }
    post("/update-user", &Rename { name }).await
}

pub(crate) async fn send_verification_email(email: &str, callback_url: &str) -> Result<(), ApiError> {
    let body = SendVerificationEmailRequest { email: email.into(), callback_url: Some(callback_url.into()) };
    post("/send-verification-email", &body).await
}

pub(crate) async fn delete_account(password: &str) -> Result<(), ApiError> {
    post("/delete-user", &DeleteUserRequest { password: password.into() }).await
}

/// One signed-in device, as the account page shows it (the part of
/// `shared::auth::ListedSession` it reads).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Device {
    pub(crate) id: String,
    /// The opaque handle `revoke-session` takes.
    pub(crate) token: String,
    pub(crate) updated_at: String,
    pub(crate) ip_address: Option<String>,
    pub(crate) user_agent: Option<String>,
}

/// Where this user is signed in, newest first.
pub(crate) async fn list_sessions() -> Result<Vec<Device>, ApiError> {
    Ok(request::<Vec<Device>>(Method::GET, &auth_url("/list-sessions")?, None, None).await?.body)
}

/// The id of this device's session, to mark it in the list.
pub(crate) async fn this_session_id() -> Result<Option<String>, ApiError> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    #[derive(Deserialize)]
    struct WithSession {
        session: Id,
    }
    let reply = request::<Option<WithSession>>(Method::GET, &auth_url("/get-session")?, None, None).await?;
    Ok(reply.body.map(|s| s.session.id))
}

pub(crate) async fn revoke_session(handle: &str) -> Result<(), ApiError> {
    post("/revoke-session", &RevokeSessionRequest { token: handle.into() }).await
}

pub(crate) async fn revoke_other_sessions() -> Result<(), ApiError> {
    request::<IgnoredAny>(Method::POST, &auth_url("/revoke-other-sessions")?, None, Some("{}".into())).await.map(|_| ())
}
