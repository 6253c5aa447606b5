//! Managing a signed-in account in Better Auth's wire format (DESIGN §11):
//! change password, profile, the list of sessions and signing them out,
//! deleting the account with everything in it.

use std::sync::Arc;

use crate::events::{self, hub::Hub};
use rocket::http::CookieJar;
use rocket::serde::json::Json;
use rocket::{get, post, routes, Route, State};
use serde_json::{Map, Value};
use shared::auth::{
    codes as auth_codes, ChangePasswordRequest, ChangePasswordResponse, DeleteUserRequest, DeleteUserResponse,
    ListedSession, RevokeSessionRequest, StatusResponse,
};
use shared::error::codes;
use shared::ErrorBody;

use super::guards::{ClientInfo, RateLimited, TrustedOrigin};
use super::routes::{check_password_length, hashing_error, start_session, NAME_MAX_CHARS};
use super::session::{CurrentSession, RequireSession};
use super::state::AuthState;
use super::store::{self, ProfileChange};
use super::throttle::{self, Attempt};
use crate::body::AuthJson;
use crate::clock::{iso8601, now_millis};
use crate::db::Db;
use crate::error::{ApiError, AppResult};

pub fn routes() -> Vec<Route> {
    routes![
        change_password,
        update_user,
        list_sessions,
        revoke_session,
        revoke_other_sessions,
        revoke_sessions,
        delete_user
    ]
}

/// Longest accepted `image` (a URL or a data URL's worth of text).
const IMAGE_MAX_CHARS: usize = 2048;

fn status_ok() -> Json<StatusResponse> {
    Json(StatusResponse { status: true })
}

/// Confirms the signed-in user's password before a sensitive change. The
/// per-account throttle counts these checks like sign-ins, so a stolen
/// session cannot be used to guess the password either.
async fn confirm_password(
    auth: &AuthState,
    db: &Db,
    client: &ClientInfo,
    current: &CurrentSession,
    password: String,
) -> AppResult<()> {
    let Some(hash) = store::password_of(db, &current.user.id).await? else {
        return Err(ApiError::bad_request(auth_codes::CREDENTIAL_ACCOUNT_NOT_FOUND, "Credential account not found"));
    };
    let email = &current.user.email;
    let _account = match auth.throttle.max_failures {
        0 => None,
        _ => Some(auth.account_locks.lock(email).await),
    };
    if let Attempt::Locked { retry_after_ms } = throttle::check(db, auth.throttle, email, now_millis()).await? {
        let message = "Too many wrong passwords for this account. Please try again later.";
        return Err(ApiError::too_many_requests(message, retry_after_ms.unsigned_abs().div_ceil(1000)));
    }
    if !auth.hasher.verify(password, Some(hash), client.peer).await.map_err(hashing_error)? {
        throttle::record_failure(db, auth.throttle, email, now_millis()).await?;
        return Err(ApiError::bad_request(auth_codes::INVALID_PASSWORD, "Invalid password"));
    }
    throttle::forgive(db, email).await?;
    Ok(())
}

#[utoipa::path(post, path = "/api/auth/change-password", tag = "auth", request_body = ChangePasswordRequest,
    responses(
        (status = 200, description = "Password changed; with revokeOtherSessions every other session is deleted and this one replaced (new cookie, its token returned)", body = ChangePasswordResponse),
        (status = 400, description = "INVALID_PASSWORD, PASSWORD_TOO_SHORT, PASSWORD_TOO_LONG, CREDENTIAL_ACCOUNT_NOT_FOUND, VALIDATION_ERROR or malformed JSON", body = ErrorBody),
        (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "INVALID_ORIGIN or MISSING_OR_NULL_ORIGIN", body = ErrorBody),
        (status = 429, description = "Rate limited, or too many wrong passwords for the account", body = ErrorBody, headers(("Retry-After" = i64))),
        (status = 503, description = "Too many password checks queued: retry", body = ErrorBody),
    ))]
#[post("/change-password", data = "<body>")]
#[allow(clippy::too_many_arguments)] // one guard per concern, as Rocket composes them
pub(super) async fn change_password(
    _origin: TrustedOrigin,
    _limit: RateLimited,
    session: RequireSession,
    client: ClientInfo,
    auth: &State<AuthState>,
    db: &State<Db>,
    jar: &CookieJar<'_>,
    body: AuthJson<ChangePasswordRequest>,
) -> AppResult<Json<ChangePasswordResponse>> {
    let req = body.into_inner();
    let current = session.0;
    check_password_length(&req.new_password)?;
    confirm_password(auth, db, &client, &current, req.current_password).await?;
    let hash = auth.hasher.hash(req.new_password, client.peer).await.map_err(hashing_error)?;
    let revoke = req.revoke_other_sessions.unwrap_or(false);
    store::set_password(db, &current.user.id, &hash, revoke, now_millis()).await?;
    let token = match revoke {
        true => Some(start_session(auth, db, jar, &client, &current.user.id, current.session.remember).await?),
        false => None,
    };
    Ok(Json(ChangePasswordResponse { token, user: current.user.to_dto() }))
}

/// `name` and `image` from an update-user body, checked one by one so
/// each mistake gets its own message.
fn profile_change(body: &Map<String, Value>) -> Result<ProfileChange, ApiError> {
    if body.contains_key("email") {
        return Err(ApiError::bad_request(auth_codes::EMAIL_CAN_NOT_BE_UPDATED, "Email can not be updated"));
    }
    let invalid = |message: String| ApiError::bad_request(codes::VALIDATION_ERROR, message);
    let name = match body.get("name") {
        None => None,
        Some(Value::String(name)) if (1..=NAME_MAX_CHARS).contains(&name.trim().chars().count()) => {
            Some(name.trim().to_owned())
        }
        Some(_) => return Err(invalid(format!("name must be a string of 1 to {NAME_MAX_CHARS} characters"))),
    };
    let image = match body.get("image") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(image)) if image.chars().count() <= IMAGE_MAX_CHARS => {
            Some(Some(image.trim().to_owned()).filter(|i| !i.is_empty()))
        }
        Some(_) => {
            return Err(invalid(format!("image must be null or a string of at most {IMAGE_MAX_CHARS} characters")))
        }
    };
    if name.is_none() && image.is_none() {
        return Err(invalid("Nothing to update: send name or image".to_owned()));
    }
    Ok(ProfileChange { name, image })
}

#[utoipa::path(post, path = "/api/auth/update-user", tag = "auth", request_body = Object,
    responses(
        (status = 200, description = "Name and/or image changed", body = StatusResponse),
        (status = 400, description = "EMAIL_CAN_NOT_BE_UPDATED, VALIDATION_ERROR (no fields, empty name, wrong types) or malformed JSON", body = ErrorBody),
        (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "INVALID_ORIGIN or MISSING_OR_NULL_ORIGIN", body = ErrorBody),
    ))]
#[post("/update-user", data = "<body>")]
pub(super) async fn update_user(
    _origin: TrustedOrigin,
    session: RequireSession,
    db: &State<Db>,
    body: AuthJson<Map<String, Value>>,
) -> AppResult<Json<StatusResponse>> {
    let change = profile_change(&body.into_inner())?;
    store::update_profile(db, &session.0.user.id, &change, now_millis()).await?;
    Ok(status_ok())
}

#[utoipa::path(get, path = "/api/auth/list-sessions", tag = "auth",
    responses(
        (status = 200, description = "The user's unexpired sessions, newest first; `token` is a handle for revoke-session, not the session's secret", body = Vec<ListedSession>),
        (status = 401, description = "No session", body = ErrorBody),
    ))]
#[get("/list-sessions")]
pub(super) async fn list_sessions(session: RequireSession, db: &State<Db>) -> AppResult<Json<Vec<ListedSession>>> {
    let rows = store::sessions_of(db, &session.0.user.id, now_millis()).await?;
    Ok(Json(
        rows.into_iter()
            .map(|s| ListedSession {
                // The handle is the row's id: only hashes of session tokens
                // are stored, and the id proves nothing by itself.
                token: s.id.clone(),
                id: s.id,
                user_id: s.user_id,
                expires_at: iso8601(s.expires_at),
                created_at: iso8601(s.created_at),
                updated_at: iso8601(s.updated_at),
                ip_address: s.ip_address,
                user_agent: s.user_agent,
            })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/auth/revoke-session", tag = "auth", request_body = RevokeSessionRequest,
    responses(
        (status = 200, description = "That session of the user's is gone (its cookie too when it is this one); another user's handle revokes nothing", body = StatusResponse),
        (status = 400, description = "VALIDATION_ERROR or malformed JSON", body = ErrorBody),
        (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "INVALID_ORIGIN or MISSING_OR_NULL_ORIGIN", body = ErrorBody),
    ))]
#[post("/revoke-session", data = "<body>")]
pub(super) async fn revoke_session(
    _origin: TrustedOrigin,
    session: RequireSession,
    auth: &State<AuthState>,
    db: &State<Db>,
    jar: &CookieJar<'_>,
    body: AuthJson<RevokeSessionRequest>,
) -> AppResult<Json<StatusResponse>> {
    let handle = body.into_inner().token;
    let current = session.0;
    store::delete_session_of(db, &current.user.id, &handle).await?;
    if handle == current.session.id {
        auth.cookies.remove(jar);
    }
    Ok(status_ok())
}

#[utoipa::path(post, path = "/api/auth/revoke-other-sessions", tag = "auth",
    responses(
        (status = 200, description = "Every session of the user but this one is gone", body = StatusResponse),
        (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "INVALID_ORIGIN or MISSING_OR_NULL_ORIGIN", body = ErrorBody),
    ))]
#[post("/revoke-other-sessions")]
pub(super) async fn revoke_other_sessions(
    _origin: TrustedOrigin,
    session: RequireSession,
    db: &State<Db>,
) -> AppResult<Json<StatusResponse>> {
    let current = session.0;
    store::delete_sessions_of(db, &current.user.id, Some(&current.session.id)).await?;
    Ok(status_ok())
}

#[utoipa::path(post, path = "/api/auth/revoke-sessions", tag = "auth",
    responses(
        (status = 200, description = "Every session of the user is gone, this one's cookie too", body = StatusResponse),
        (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "INVALID_ORIGIN or MISSING_OR_NULL_ORIGIN", body = ErrorBody),
    ))]
#[post("/revoke-sessions")]
pub(super) async fn revoke_sessions(
    _origin: TrustedOrigin,
    session: RequireSession,
    auth: &State<AuthState>,
    db: &State<Db>,
    hub: &State<Arc<Hub>>,
    jar: &CookieJar<'_>,
) -> AppResult<Json<StatusResponse>> {
    store::delete_sessions_of(db, &session.0.user.id, None).await?;
    events::close_streams(db, hub, &session.0.user.id).await;
    auth.cookies.remove(jar);
    Ok(status_ok())
}

#[utoipa::path(post, path = "/api/auth/delete-user", tag = "auth", request_body = DeleteUserRequest,
    responses(
        (status = 200, description = "The user, their sessions, accounts and tasks are gone; the cookie is expired", body = DeleteUserResponse),
        (status = 400, description = "INVALID_PASSWORD, CREDENTIAL_ACCOUNT_NOT_FOUND, VALIDATION_ERROR or malformed JSON", body = ErrorBody),
        (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "INVALID_ORIGIN or MISSING_OR_NULL_ORIGIN", body = ErrorBody),
        (status = 429, description = "Rate limited, or too many wrong passwords for the account", body = ErrorBody, headers(("Retry-After" = i64))),
        (status = 503, description = "Too many password checks queued: retry", body = ErrorBody),
    ))]
#[post("/delete-user", data = "<body>")]
#[allow(clippy::too_many_arguments)] // one guard per concern, as Rocket composes them
pub(super) async fn delete_user(
    _origin: TrustedOrigin,
    _limit: RateLimited,
    session: RequireSession,
    client: ClientInfo,
    auth: &State<AuthState>,
    db: &State<Db>,
    hub: &State<Arc<Hub>>,
    jar: &CookieJar<'_>,
    body: AuthJson<DeleteUserRequest>,
) -> AppResult<Json<DeleteUserResponse>> {
    let current = session.0;
    confirm_password(auth, db, &client, &current, body.into_inner().password).await?;
    store::delete_user(db, &current.user.id).await?;
    events::close_streams(db, hub, &current.user.id).await;
    throttle::forgive(db, &current.user.email).await?;
    auth.cookies.remove(jar);
    tracing::info!(user = %current.user.id, "account deleted");
    Ok(Json(DeleteUserResponse { success: true, message: "User deleted".to_owned() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(json: Value) -> Result<ProfileChange, String> {
        profile_change(json.as_object().unwrap()).map_err(|e| e.body.code)
    }

    #[test]
    fn update_user_bodies_are_checked_field_by_field() {
        let ok = change(serde_json::json!({"name": "  Ada  "})).unwrap();
        assert_eq!(ok.name.as_deref(), Some("Ada"));
        assert!(ok.image.is_none(), "image untouched");
        assert_eq!(change(serde_json::json!({"image": null})).unwrap().image, Some(None));
        assert_eq!(change(serde_json::json!({"image": " "})).unwrap().image, Some(None));
        assert_eq!(
            change(serde_json::json!({"email": "a@b.co", "name": "x"})).err().unwrap(),
            "EMAIL_CAN_NOT_BE_UPDATED"
        );
        for bad in [
            serde_json::json!({}),
            serde_json::json!({"name": ""}),
            serde_json::json!({"name": "   "}),
            serde_json::json!({"name": 7}),
            serde_json::json!({"name": null}),
            serde_json::json!({"name": "x".repeat(NAME_MAX_CHARS + 1)}),
            serde_json::json!({"image": 1}),
            serde_json::json!({"other": "x"}),
        ] {
            assert_eq!(change(bad.clone()).err().as_deref(), Some("VALIDATION_ERROR"), "{bad}");
        }
    }
}
