//! `/api/auth` endpoints in Better Auth's wire format (README, "The auth server").

use rocket::http::{CookieJar, Header, Status};
use rocket::serde::json::Json;
use rocket::{get, post, routes, Route, State};
use shared::auth::{
    codes as auth_codes, Claims, SessionResponse, SignInRequest, SignInResponse, SignOutResponse, SignUpRequest,
    SignUpResponse, TokenResponse,
};
use shared::error::codes;
use shared::limits::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};
use shared::ErrorBody;

use super::cookies::{SESSION_TTL_MS, SHORT_SESSION_TTL_MS};
use super::crypto::{hash_token, random_id, random_token};
use super::guards::{ClientInfo, RateLimited, TrustedOrigin};
use super::jwt::{mint, TOKEN_TTL_SECS};
use super::notify;
use super::session::{MaybeSession, RequireSession};
use super::state::AuthState;
use super::store::{self, SessionRow, UserRow};
use super::throttle::{self, Attempt};
use crate::body::AuthJson;
use crate::clock::now_millis;
use crate::db::{is_unique_violation, Db};
use crate::error::{ApiError, AppResult};
use crate::reply::WithHeaders;

pub fn routes() -> Vec<Route> {
    routes![sign_up, sign_in, get_session, sign_out, token, jwks]
}

pub(super) const NAME_MAX_CHARS: usize = 100;
const EMAIL_MAX_CHARS: usize = 254;

/// Trimmed, lower-cased email if it looks like one.
pub fn normalize_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let ok = email.chars().count() <= EMAIL_MAX_CHARS
        && !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(email)
}

fn invalid_email() -> ApiError {
    ApiError::bad_request(auth_codes::INVALID_EMAIL, "Invalid email")
}

pub(super) fn check_password_length(password: &str) -> Result<(), ApiError> {
    let n = password.chars().count();
    if n < PASSWORD_MIN_CHARS {
        return Err(ApiError::bad_request(auth_codes::PASSWORD_TOO_SHORT, "Password too short"));
    }
    if n > PASSWORD_MAX_CHARS {
        return Err(ApiError::bad_request(auth_codes::PASSWORD_TOO_LONG, "Password too long"));
    }
    Ok(())
}

/// Only same-app paths or trusted origins: no open redirects (DESIGN §10).
/// A relative value is one `/` followed by neither `/` nor `\`; no value
/// may hold whitespace or control characters anywhere, since browsers drop
/// tabs and newlines from URLs (`/\t/evil.com` would become `//evil.com`).
pub(crate) fn callback_allowed(trusted_origins: &[String], url: &str) -> bool {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    if let Some(rest) = url.strip_prefix('/') {
        return !rest.starts_with(['/', '\\']);
    }
    crate::config::origin_of(url).is_some_and(|o| trusted_origins.contains(&o))
}

fn check_callback(auth: &AuthState, callback: Option<&str>) -> Result<(), ApiError> {
    match callback {
        Some(url) if !callback_allowed(&auth.trusted_origins, url) => {
            Err(ApiError::new(Status::Forbidden, "INVALID_CALLBACKURL", "Invalid callbackURL"))
        }
        _ => Ok(()),
    }
}

/// The hashing queue is full, the check waited too long, or its client left:
/// retryable, never a 500.
pub(super) fn hashing_error(e: super::password::HashError) -> ApiError {
    tracing::warn!("{e}");
    ApiError::unavailable("The server is busy, please retry in a moment").with_header("Retry-After", "5")
}

/// Creates a session row, sets the cookie, returns the raw token.
pub(super) async fn start_session(
    auth: &AuthState,
    db: &Db,
    jar: &CookieJar<'_>,
    client: &ClientInfo,
    user_id: &str,
    remember: bool,
) -> AppResult<String> {
    let token = random_token();
    let now = now_millis();
    let session = SessionRow {
        id: random_id(),
        user_id: user_id.to_owned(),
        expires_at: now
            + (if remember { SESSION_TTL_MS } else { SHORT_SESSION_TTL_MS }).min(auth.session_max_lifetime_ms),
        remember,
        ip_address: Some(client.ip.to_string()),
        user_agent: client.user_agent.clone(),
        created_at: now,
        updated_at: now,
    };
    store::create_session(db, &session, &hash_token(&token)).await?;
    let max_age = remember.then_some(session.expires_at - now);
    jar.add(auth.cookies.session_cookie(auth.secrets.current(), &token, max_age));
    Ok(token)
}

#[utoipa::path(post, path = "/api/auth/sign-up/email", tag = "auth", request_body = SignUpRequest,
    responses(
        (status = 200, description = "Signed up and signed in; sets the session cookie. With REQUIRE_EMAIL_VERIFICATION: `token` null, no session, a verification mail queued", body = SignUpResponse),
        (status = 400, description = "PASSWORD_TOO_SHORT, PASSWORD_TOO_LONG, INVALID_EMAIL, VALIDATION_ERROR or malformed JSON", body = ErrorBody),
        (status = 403, description = "INVALID_ORIGIN, MISSING_OR_NULL_ORIGIN or INVALID_CALLBACKURL", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", body = ErrorBody),
        (status = 429, description = "Rate limited", body = ErrorBody, headers(("Retry-After" = i64))),
        (status = 503, description = "Too many password checks queued: retry", body = ErrorBody),
    ))]
#[post("/sign-up/email", data = "<body>")]
async fn sign_up(
    _origin: TrustedOrigin,
    _limit: RateLimited,
    client: ClientInfo,
    auth: &State<AuthState>,
    db: &State<Db>,
    jar: &CookieJar<'_>,
    body: AuthJson<SignUpRequest>,
) -> AppResult<Json<SignUpResponse>> {
    let req = body.into_inner();
    let name = req.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > NAME_MAX_CHARS {
        return Err(ApiError::bad_request(
            codes::VALIDATION_ERROR,
            format!("name must be 1 to {NAME_MAX_CHARS} characters"),
        ));
    }
    let email = normalize_email(&req.email).ok_or_else(invalid_email)?;
    check_password_length(&req.password)?;
    check_callback(auth, req.callback_url.as_deref())?;
    let exists = || {
        ApiError::new(
            Status::UnprocessableEntity,
            auth_codes::USER_ALREADY_EXISTS,
            "User already exists. Use another email.",
        )
    };
    if store::user_with_password(db, &email).await?.is_some() {
        return Err(exists());
    }
    let hash = auth.hasher.hash(req.password, client.peer).await.map_err(hashing_error)?;
    let now = now_millis();
    let user = UserRow {
        id: random_id(),
        name,
        email,
        email_verified: false,
        image: req.image.filter(|i| !i.trim().is_empty()),
        created_at: now,
        updated_at: now,
    };
    match store::create_user(db, &user, &hash).await {
        Ok(()) => {}
        Err(e) if is_unique_violation(&e) => return Err(exists()),
        Err(e) => return Err(e.into()),
    }
    if auth.mailer.is_some() {
        let callback = req.callback_url.as_deref().unwrap_or("/");
        if let Err(e) = notify::verify_email(auth, db, Some(&user), callback).await {
            tracing::warn!("verification mail not queued: {e}");
        }
    }
    if auth.require_email_verification {
        return Ok(Json(SignUpResponse { token: None, user: user.to_dto() }));
    }
    let token = start_session(auth, db, jar, &client, &user.id, req.remember_me.unwrap_or(true)).await?;
    Ok(Json(SignUpResponse { token: Some(token), user: user.to_dto() }))
}

#[utoipa::path(post, path = "/api/auth/sign-in/email", tag = "auth", request_body = SignInRequest,
    responses(
        (status = 200, description = "Signed in; sets the session cookie", body = SignInResponse),
        (status = 400, description = "INVALID_EMAIL, VALIDATION_ERROR or malformed JSON", body = ErrorBody),
        (status = 401, description = "INVALID_EMAIL_OR_PASSWORD", body = ErrorBody),
        (status = 403, description = "INVALID_ORIGIN, INVALID_CALLBACKURL, or EMAIL_NOT_VERIFIED (REQUIRE_EMAIL_VERIFICATION; a fresh verification mail is queued)", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 429, description = "Rate limited per client, or the account is throttled after AUTH_ACCOUNT_MAX_FAILURES failures (known and unknown emails alike)", body = ErrorBody, headers(("Retry-After" = i64))),
        (status = 503, description = "Too many password checks queued: retry", body = ErrorBody),
    ))]
#[post("/sign-in/email", data = "<body>")]
async fn sign_in(
    _origin: TrustedOrigin,
    _limit: RateLimited,
    client: ClientInfo,
    auth: &State<AuthState>,
    db: &State<Db>,
    jar: &CookieJar<'_>,
    body: AuthJson<SignInRequest>,
) -> AppResult<Json<SignInResponse>> {
    let req = body.into_inner();
    let email = normalize_email(&req.email).ok_or_else(invalid_email)?;
    check_callback(auth, req.callback_url.as_deref())?;
    // One attempt per account at a time here, from the check until the
    // failure is counted: concurrent guesses cannot outrun the throttle.
    let _account = match auth.throttle.max_failures {
        0 => None,
        _ => Some(auth.account_locks.lock(&email).await),
    };
    if let Attempt::Locked { retry_after_ms } = throttle::check(db, auth.throttle, &email, now_millis()).await? {
        let wait = retry_after_ms.unsigned_abs().div_ceil(1000);
        let message = "Too many failed sign-ins for this account. Please try again later.";
        return Err(ApiError::too_many_requests(message, wait));
    }
    let found = store::user_with_password(db, &email).await?;
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, None),
    };
    // Unknown email or no password: verified against a dummy hash, so every
    // failure costs the same and answers the same.
    let ok = auth.hasher.verify(req.password, hash, client.peer).await.map_err(hashing_error)?;
    let Some(user) = user.filter(|_| ok) else {
        throttle::record_failure(db, auth.throttle, &email, now_millis()).await?;
        return Err(ApiError::new(
            Status::Unauthorized,
            auth_codes::INVALID_EMAIL_OR_PASSWORD,
            "Invalid email or password",
        ));
    };
    throttle::forgive(db, &email).await?;
    if auth.require_email_verification && !user.email_verified {
        if auth.mailer.is_some() {
            notify::verify_email(auth, db, Some(&user), req.callback_url.as_deref().unwrap_or("/")).await?;
        }
        return Err(ApiError::new(Status::Forbidden, auth_codes::EMAIL_NOT_VERIFIED, "Email not verified"));
    }
    if let Err(e) = store::delete_expired_sessions(db, now_millis()).await {
        tracing::warn!("expired-session cleanup failed: {e}");
    }
    if let Err(e) = throttle::forget_stale(db, now_millis()).await {
        tracing::warn!("sign-in throttle cleanup failed: {e}");
    }
    if let Err(e) = store::delete_expired_tokens(db, now_millis()).await {
        tracing::warn!("expired-token cleanup failed: {e}");
    }
    let token = start_session(auth, db, jar, &client, &user.id, req.remember_me.unwrap_or(true)).await?;
    Ok(Json(SignInResponse { redirect: req.callback_url.is_some(), token, url: req.callback_url, user: user.to_dto() }))
}

async fn mint_for(auth: &AuthState, db: &Db, user: &UserRow) -> AppResult<String> {
    let signer = auth.keys.signer(db).await.map_err(|e| {
        tracing::error!("signing key unavailable: {e}");
        ApiError::unavailable("Token service unavailable, please retry")
    })?;
    let iat = now_millis() / 1000;
    let claims = Claims {
        sub: user.id.clone(),
        iss: auth.issuer.clone(),
        aud: auth.audience.clone(),
        iat,
        exp: iat + TOKEN_TTL_SECS,
        email: user.email.clone(),
        name: user.name.clone(),
    };
    Ok(mint(&signer, &claims))
}

#[utoipa::path(get, path = "/api/auth/get-session", tag = "auth",
    responses((status = 200, description = "The session and user, or `null` when signed out; a JWT in `set-auth-jwt` when signed in",
        body = Option<SessionResponse>, headers(("set-auth-jwt" = String)))))]
#[get("/get-session")]
async fn get_session(
    session: MaybeSession,
    auth: &State<AuthState>,
    db: &State<Db>,
) -> AppResult<WithHeaders<Json<Option<SessionResponse>>>> {
    let mut headers =
        vec![Header::new("Cache-Control", "no-store"), Header::new("Access-Control-Expose-Headers", "set-auth-jwt")];
    let body = match session.0 {
        Some(current) => {
            headers.push(Header::new("set-auth-jwt", mint_for(auth, db, &current.user).await?));
            Some(SessionResponse { session: current.session.to_dto(), user: current.user.to_dto() })
        }
        None => None,
    };
    Ok(WithHeaders(Json(body), headers))
}

#[utoipa::path(post, path = "/api/auth/sign-out", tag = "auth",
    responses(
        (status = 200, description = "Session deleted, cookie expired", body = SignOutResponse),
        (status = 400, description = "FAILED_TO_GET_SESSION: no session", body = ErrorBody),
        (status = 403, description = "INVALID_ORIGIN or MISSING_OR_NULL_ORIGIN", body = ErrorBody),
    ))]
#[post("/sign-out")]
async fn sign_out(
    _origin: TrustedOrigin,
    session: MaybeSession,
    auth: &State<AuthState>,
    db: &State<Db>,
    jar: &CookieJar<'_>,
) -> AppResult<Json<SignOutResponse>> {
    auth.cookies.remove(jar);
    let Some(current) = session.0 else {
        return Err(ApiError::bad_request("FAILED_TO_GET_SESSION", "Failed to get session"));
    };
    store::delete_session(db, &current.session.id).await?;
    Ok(Json(SignOutResponse { success: true }))
}

#[utoipa::path(get, path = "/api/auth/token", tag = "auth",
    responses(
        (status = 200, description = "An EdDSA JWT valid for 15 minutes", body = TokenResponse),
        (status = 401, description = "No session", body = ErrorBody),
    ))]
#[get("/token")]
async fn token(
    session: RequireSession,
    auth: &State<AuthState>,
    db: &State<Db>,
) -> AppResult<WithHeaders<Json<TokenResponse>>> {
    let token = mint_for(auth, db, &session.0.user).await?;
    Ok(WithHeaders(Json(TokenResponse { token }), vec![Header::new("Cache-Control", "no-store")]))
}

#[utoipa::path(get, path = "/api/auth/jwks", tag = "auth",
    responses((status = 200, description = "The public signing keys (Ed25519 JWKs)", body = Object)))]
#[get("/jwks")]
async fn jwks(auth: &State<AuthState>, db: &State<Db>) -> AppResult<WithHeaders<Json<serde_json::Value>>> {
    let keys = auth.keys.public_keys(db).await.map_err(|e| {
        tracing::error!("key set unavailable: {e}");
        ApiError::unavailable("Key set unavailable, please retry")
    })?;
    Ok(WithHeaders(
        Json(serde_json::json!({ "keys": keys.jwks })),
        vec![Header::new("Cache-Control", "public, max-age=300")],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(normalize_email("  Ada@Example.COM ").as_deref(), Some("ada@example.com"));
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@@example.com",
            "ada@example..com",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn callbacks_are_one_slash_paths_or_trusted_origins() {
        let trusted = vec!["https://app.example".to_owned()];
        for ok in ["/", "/tasks", "/tasks?x=1#y", "https://app.example/tasks", "https://APP.example:443/"] {
            assert!(callback_allowed(&trusted, ok), "{ok:?}");
        }
        for bad in [
            "//evil.com",
            "/\\evil.com",
            "/\t/evil.com",
            "/\n/evil.com",
            "/\r/evil.com",
            "/ /evil.com",
            "/tasks\u{0}",
            "\t/tasks",
            "https://evil.com/",
            "https://app.example.evil.com/",
            "https://app.example/\n",
            "javascript:alert(1)",
            "tasks",
            "",
        ] {
            assert!(!callback_allowed(&trusted, bad), "{bad:?}");
        }
    }

    #[test]
    fn password_length_is_checked_in_characters() {
        assert_eq!(check_password_length("1234567").unwrap_err().body.code, "PASSWORD_TOO_SHORT");
        assert!(check_password_length("12345678").is_ok());
        assert!(check_password_length(&"é".repeat(128)).is_ok());
        assert_eq!(check_password_length(&"x".repeat(129)).unwrap_err().body.code, "PASSWORD_TOO_LONG");
    }
}
