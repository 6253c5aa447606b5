//! Session cookies and the `MaybeSession` request guard: signed cookie →
//! token → hash → session row, with sliding expiry refreshed after a day
//! but never past the absolute end `created_at + SESSION_MAX_LIFETIME`.

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome};
use rocket::Request;

use super::cookies::{SESSION_TTL_MS, SESSION_UPDATE_AGE_MS};
use super::crypto::{hash_token, verify_cookie};
use super::state::AuthState;
use super::store::{self, SessionRow, UserRow};
use crate::clock::now_millis;
use crate::db::Db;
use crate::error::{guard_error, ApiError};

/// The signed-in session and user, as a request saw them.
#[derive(Debug, Clone)]
pub struct CurrentSession {
    pub session: SessionRow,
    pub user: UserRow,
}

/// `Some` when the request carries a valid, unexpired session cookie.
/// Database failures are a 503, never "signed out".
pub struct MaybeSession(pub Option<CurrentSession>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for MaybeSession {
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let cached: &Result<Option<CurrentSession>, ApiError> = req.local_cache_async(load_session(req)).await;
        match cached {
            Ok(session) => Outcome::Success(MaybeSession(session.clone())),
            Err(e) => guard_error(req, e.clone()),
        }
    }
}

async fn load_session(req: &Request<'_>) -> Result<Option<CurrentSession>, ApiError> {
    let (Some(auth), Some(db)) = (req.rocket().state::<AuthState>(), req.rocket().state::<Db>()) else {
        return Err(ApiError::internal("auth state missing"));
    };
    let jar = req.cookies();
    let Some(value) = jar.get(auth.cookies.name()).map(|c| c.value().to_owned()) else { return Ok(None) };
    let Some(token) = verify_cookie(auth.secrets.all(), &value) else {
        auth.cookies.remove(jar);
        return Ok(None);
    };
    let unavailable = |e: sqlx::Error| {
        tracing::error!("session lookup failed: {e}");
        ApiError::unavailable("Session store unavailable, please retry")
    };
    let Some((mut session, user)) = store::session_by_token_hash(db, &hash_token(&token)).await.map_err(unavailable)?
    else {
        auth.cookies.remove(jar);
        return Ok(None);
    };
    let now = now_millis();
    let end = session.created_at.saturating_add(auth.session_max_lifetime_ms);
    if session.expires_at <= now || end <= now {
        let _ = store::delete_session(db, &session.id).await;
        auth.cookies.remove(jar);
        return Ok(None);
    }
    // A remembered session used after a day slides to 7 days from now;
    // nothing moves it past its absolute end.
    let due = session.remember && session.expires_at - now < SESSION_TTL_MS - SESSION_UPDATE_AGE_MS;
    let expires_at = if due { now + SESSION_TTL_MS } else { session.expires_at }.min(end);
    if expires_at != session.expires_at {
        store::extend_session(db, &session.id, expires_at, now).await.map_err(unavailable)?;
        session.expires_at = expires_at;
        session.updated_at = now;
        if session.remember {
            jar.add(auth.cookies.session_cookie(auth.secrets.current(), &token, Some(expires_at - now)));
        }
    }
    Ok(Some(CurrentSession { session, user }))
}

/// Guard for routes that need a session: 401 `UNAUTHORIZED` otherwise.
pub struct RequireSession(pub CurrentSession);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for RequireSession {
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        match MaybeSession::from_request(req).await {
            Outcome::Success(MaybeSession(Some(s))) => Outcome::Success(RequireSession(s)),
            Outcome::Success(MaybeSession(None)) => guard_error(req, ApiError::from_status(Status::Unauthorized)),
            Outcome::Error(e) => Outcome::Error(e),
            Outcome::Forward(s) => Outcome::Forward(s),
        }
    }
}
