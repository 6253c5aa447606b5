//! Getting back into an account by mail, in Better Auth's wire format
//! (DESIGN §11): request a reset, follow the link, set a new password;
//! send and follow an email-verification link.

use rocket::http::Status;
use rocket::response::Redirect;
use rocket::serde::json::Json;
use rocket::{get, post, routes, Either, Route, State};
use shared::auth::{
    codes as auth_codes, RequestPasswordResetRequest, ResetPasswordRequest, SendVerificationEmailRequest,
    StatusMessageResponse, StatusResponse, VerifyEmailResponse,
};
use shared::ErrorBody;

use super::crypto::hash_token;
use super::guards::{ClientInfo, MailRateLimited, RateLimited, TrustedOrigin};
use super::notify::{self, with_query};
use super::routes::{callback_allowed, check_password_length, hashing_error, normalize_email};
use super::session::MaybeSession;
use super::state::AuthState;
use super::store::{self, Purpose, Used};
use super::throttle;
use crate::body::AuthJson;
use crate::clock::now_millis;
use crate::db::Db;
use crate::error::{ApiError, AppResult};

pub fn routes() -> Vec<Route> {
    routes![request_password_reset, reset_password_link, reset_password, send_verification_email, verify_email]
}

const RESET_REQUESTED: &str = "If this email exists in our system, check your email for the reset link";

fn invalid_email() -> ApiError {
    ApiError::bad_request(auth_codes::INVALID_EMAIL, "Invalid email")
}

/// `url` if it passes the callbackURL rule (DESIGN §10), else `code`.
fn checked<'a>(auth: &AuthState, url: &'a str, code: &str, what: &str) -> Result<&'a str, ApiError> {
    if callback_allowed(&auth.trusted_origins, url) {
        Ok(url)
    } else {
        Err(ApiError::new(Status::Forbidden, code, format!("Invalid {what}")))
    }
}

#[utoipa::path(post, path = "/api/auth/request-password-reset", tag = "auth", request_body = RequestPasswordResetRequest,
    responses(
        (status = 200, description = "A reset mail is queued if the email has an account; the same answer either way", body = StatusMessageResponse),
        (status = 400, description = "RESET_PASSWORD_DISABLED (no mail transport), INVALID_EMAIL, VALIDATION_ERROR or malformed JSON", body = ErrorBody),
        (status = 403, description = "INVALID_REDIRECT_URL, INVALID_ORIGIN or MISSING_OR_NULL_ORIGIN", body = ErrorBody),
        (status = 429, description = "Rate limited (3 per 60 s per client)", body = ErrorBody, headers(("Retry-After" = i64))),
    ))]
#[post("/request-password-reset", data = "<body>")]
pub(super) async fn request_password_reset(
    _origin: TrustedOrigin,
    _limit: MailRateLimited,
    auth: &State<AuthState>,
    db: &State<Db>,
    body: AuthJson<RequestPasswordResetRequest>,
) -> AppResult<Json<StatusMessageResponse>> {
    if auth.mailer.is_none() {
        return Err(ApiError::bad_request(auth_codes::RESET_PASSWORD_DISABLED, "Reset password isn't enabled"));
    }
    let req = body.into_inner();
    let default = format!("{}/reset-password", auth.base_url);
    let callback = match req.redirect_to.as_deref() {
        Some(url) => checked(auth, url, auth_codes::INVALID_REDIRECT_URL, "redirectURL")?,
        None => &default,
    };
    let email = normalize_email(&req.email).ok_or_else(invalid_email)?;
    let user = store::user_with_password(db, &email).await?.filter(|(_, hash)| hash.is_some()).map(|(user, _)| user);
    notify::reset_password(auth, db, user.as_ref(), callback).await?;
    Ok(Json(StatusMessageResponse { status: true, message: RESET_REQUESTED.to_owned() }))
}

#[utoipa::path(get, path = "/api/auth/reset-password/{token}", tag = "auth",
    params(("token" = String, Path, description = "The token from the reset mail"),
           ("callbackURL" = String, Query, description = "Where to land: gets ?token= or ?error=INVALID_TOKEN")),
    responses(
        (status = 302, description = "To callbackURL?token=<token>, or callbackURL?error=INVALID_TOKEN when the token is unknown, used or expired"),
        (status = 403, description = "INVALID_CALLBACK_URL", body = ErrorBody),
    ))]
#[get("/reset-password/<token>?<callbackURL>")]
#[allow(non_snake_case)] // Better Auth's query parameter name
pub(super) async fn reset_password_link(
    token: &str,
    callbackURL: Option<&str>,
    auth: &State<AuthState>,
    db: &State<Db>,
) -> AppResult<Redirect> {
    let default = format!("{}/reset-password", auth.base_url);
    let callback = match callbackURL {
        Some(url) => checked(auth, url, auth_codes::INVALID_CALLBACK_URL, "callbackURL")?,
        None => &default,
    };
    let live = store::token_owner(db, Purpose::ResetPassword, &hash_token(token), now_millis()).await?.is_some();
    let target = match live {
        true => with_query(callback, "token", token),
        false => with_query(callback, "error", auth_codes::INVALID_TOKEN),
    };
    // `/api` answers are `no-store` with `Referrer-Policy: no-referrer`
    // (security.rs): the token is neither cached nor passed on.
    Ok(Redirect::found(target))
}

fn invalid_token() -> ApiError {
    ApiError::bad_request(auth_codes::INVALID_TOKEN, "Invalid token")
}

#[utoipa::path(post, path = "/api/auth/reset-password", tag = "auth", request_body = ResetPasswordRequest,
    params(("token" = Option<String>, Query, description = "The token, if not in the body")),
    responses(
        (status = 200, description = "Password set; every session of the user is deleted and the sign-in throttle cleared", body = StatusResponse),
        (status = 400, description = "INVALID_TOKEN (unknown, used or expired), PASSWORD_TOO_SHORT, PASSWORD_TOO_LONG, VALIDATION_ERROR or malformed JSON", body = ErrorBody),
        (status = 403, description = "INVALID_ORIGIN or MISSING_OR_NULL_ORIGIN", body = ErrorBody),
        (status = 429, description = "Rate limited", body = ErrorBody, headers(("Retry-After" = i64))),
        (status = 503, description = "Too many password hashes queued: retry", body = ErrorBody),
    ))]
#[post("/reset-password?<token>", data = "<body>")]
pub(super) async fn reset_password(
    _origin: TrustedOrigin,
    _limit: RateLimited,
    token: Option<&str>,
    client: ClientInfo,
    auth: &State<AuthState>,
    db: &State<Db>,
    body: AuthJson<ResetPasswordRequest>,
) -> AppResult<Json<StatusResponse>> {
    let req = body.into_inner();
    let token = req.token.as_deref().or(token).ok_or_else(invalid_token)?;
    // A password of the wrong length does not use the token up.
    check_password_length(&req.new_password)?;
    let token_hash = hash_token(token);
    // Unknown tokens are refused before any hashing work is spent on them.
    let Some(user_id) = store::token_owner(db, Purpose::ResetPassword, &token_hash, now_millis()).await? else {
        return Err(invalid_token());
    };
    let hash = auth.hasher.hash(req.new_password, client.peer).await.map_err(hashing_error)?;
    match store::reset_password(db, &token_hash, &hash, now_millis()).await? {
        Used::Done { user_id: done } if done == user_id => {}
        _ => return Err(invalid_token()),
    }
    if let Some(user) = store::user_by_id(db, &user_id).await? {
        throttle::forgive(db, &user.email).await?;
    }
    tracing::info!(user = %user_id, "password reset; every session ended");
    Ok(Json(StatusResponse { status: true }))
}

#[utoipa::path(post, path = "/api/auth/send-verification-email", tag = "auth", request_body = SendVerificationEmailRequest,
    responses(
        (status = 200, description = "A verification mail is queued if the email has an unverified account; the same answer otherwise", body = StatusResponse),
        (status = 400, description = "VERIFICATION_EMAIL_NOT_ENABLED, INVALID_EMAIL; signed in: EMAIL_MISMATCH, EMAIL_ALREADY_VERIFIED", body = ErrorBody),
        (status = 403, description = "INVALID_CALLBACK_URL, INVALID_ORIGIN or MISSING_OR_NULL_ORIGIN", body = ErrorBody),
        (status = 429, description = "Rate limited (3 per 60 s per client)", body = ErrorBody, headers(("Retry-After" = i64))),
    ))]
#[post("/send-verification-email", data = "<body>")]
pub(super) async fn send_verification_email(
    _origin: TrustedOrigin,
    _limit: MailRateLimited,
    session: MaybeSession,
    auth: &State<AuthState>,
    db: &State<Db>,
    body: AuthJson<SendVerificationEmailRequest>,
) -> AppResult<Json<StatusResponse>> {
    if auth.mailer.is_none() {
        return Err(ApiError::bad_request(
            auth_codes::VERIFICATION_EMAIL_NOT_ENABLED,
            "Verification email isn't enabled",
        ));
    }
    let req = body.into_inner();
    let callback = match req.callback_url.as_deref() {
        Some(url) => checked(auth, url, auth_codes::INVALID_CALLBACK_URL, "callbackURL")?,
        None => "/",
    };
    let email = normalize_email(&req.email).ok_or_else(invalid_email)?;
    let user = match session.0 {
        Some(current) if current.user.email != email => {
            return Err(ApiError::bad_request(auth_codes::EMAIL_MISMATCH, "Email mismatch"));
        }
        Some(current) if current.user.email_verified => {
            return Err(ApiError::bad_request(auth_codes::EMAIL_ALREADY_VERIFIED, "Email is already verified"));
        }
        Some(current) => Some(current.user),
        // Signed out: unknown and verified emails get the same answer.
        None => store::user_with_password(db, &email).await?.map(|(user, _)| user).filter(|u| !u.email_verified),
    };
    notify::verify_email(auth, db, user.as_ref(), callback).await?;
    Ok(Json(StatusResponse { status: true }))
}

#[utoipa::path(get, path = "/api/auth/verify-email", tag = "auth",
    params(("token" = String, Query, description = "The token from the verification mail"),
           ("callbackURL" = Option<String>, Query, description = "Where to land afterwards (gets ?error=<CODE> on failure)")),
    responses(
        (status = 200, description = "Email verified (no callbackURL)", body = VerifyEmailResponse),
        (status = 302, description = "To callbackURL, or callbackURL?error=INVALID_TOKEN / TOKEN_EXPIRED"),
        (status = 401, description = "INVALID_TOKEN or TOKEN_EXPIRED (no callbackURL)", body = ErrorBody),
        (status = 403, description = "INVALID_CALLBACK_URL", body = ErrorBody),
    ))]
#[get("/verify-email?<token>&<callbackURL>")]
#[allow(non_snake_case)] // Better Auth's query parameter name
pub(super) async fn verify_email(
    token: Option<&str>,
    callbackURL: Option<&str>,
    auth: &State<AuthState>,
    db: &State<Db>,
) -> AppResult<Either<Redirect, Json<VerifyEmailResponse>>> {
    let callback = match callbackURL {
        Some(url) => Some(checked(auth, url, auth_codes::INVALID_CALLBACK_URL, "callbackURL")?),
        None => None,
    };
    let used = match token {
        Some(token) => store::verify_email(db, &hash_token(token), now_millis()).await?,
        None => Used::Invalid,
    };
    let failed = match used {
        Used::Done { user_id } => {
            tracing::info!(user = %user_id, "email verified");
            None
        }
        Used::Expired => Some((auth_codes::TOKEN_EXPIRED, "Token expired")),
        Used::Invalid => Some((auth_codes::INVALID_TOKEN, "Invalid token")),
    };
    Ok(match (callback, failed) {
        (Some(url), None) => Either::Left(Redirect::found(url.to_owned())),
        (Some(url), Some((code, _))) => Either::Left(Redirect::found(with_query(url, "error", code))),
        (None, None) => Either::Right(Json(VerifyEmailResponse { status: true, user: None })),
        (None, Some((code, message))) => return Err(ApiError::new(Status::Unauthorized, code, message)),
    })
}
