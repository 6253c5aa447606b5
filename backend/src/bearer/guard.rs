//! The `Owner` request guard of every task route.

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome};
use rocket::Request;
use shared::error::codes;

use super::header::bearer_token;
use super::rejection::Rejection;
use super::ring::{token_kid, verify, Verified};
use super::state::BearerState;
use crate::clock::now_millis;
use crate::error::{guard_error, ApiError};

/// The name of the path parameter the token's `sub` must equal (a route
/// that does not read it itself spells it `<_user_id>`).
const USER_ID_PARAM: &str = "user_id";

/// Whether a route path segment is the `<user_id>` (or `<_user_id>`) parameter.
fn is_user_id_param(segment: &str) -> bool {
    segment
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .is_some_and(|name| name.trim_start_matches('_') == USER_ID_PARAM)
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(Status::Unauthorized, codes::UNAUTHORIZED, message)
        .with_header("WWW-Authenticate", r#"Bearer error="invalid_token""#)
}

/// The request's bearer JWT (its `sub` and `exp`), if it is valid.
async fn authenticate(req: &Request<'_>, state: &BearerState) -> Result<Verified, ApiError> {
    let outcome = async {
        let token = bearer_token(req.headers().get_one("Authorization"))?;
        let kid = token_kid(token)?;
        let ring = state.source.ring_for(&kid).await.ok_or(Rejection::UnknownKid)?;
        let now = now_millis() / 1000;
        if let Some(verified) = state.verified.get(token, &ring, now, state.expect.leeway_secs) {
            return Ok(verified);
        }
        let verified = verify(token, &ring, &state.expect)?;
        state.verified.insert(token, &ring, &verified, now);
        Ok(verified)
    }
    .await;
    match outcome {
        Ok(verified) => Ok(verified),
        Err(Rejection::Missing | Rejection::NotBearer) => Err(unauthorized("Missing bearer token")),
        Err(reason) => {
            tracing::debug!(?reason, "bearer token refused");
            Err(unauthorized("Invalid or expired token"))
        }
    }
}

/// The request's value of the matched route's `<user_id>` segment, found by
/// name in the route's (mounted) path, wherever the routes are mounted.
fn path_user_id<'r>(req: &'r Request<'_>) -> Option<&'r str> {
    let route = req.route()?;
    let index = route.uri.path().split('/').filter(|s| !s.is_empty()).position(is_user_id_param)?;
    req.uri().path().segments().get(index)
}

/// A valid token whose `sub` is the route's `<user_id>`: else 401 (bad
/// token) or 403 (someone else's path).
pub struct Owner {
    pub user_id: String,
    /// The token's `exp` (Unix seconds): an event stream ends there.
    pub expires_at: i64,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Owner {
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let Some(state) = req.rocket().state::<BearerState>() else {
            return guard_error(req, ApiError::internal("bearer state missing"));
        };
        let Verified { sub: user_id, exp } = match authenticate(req, state).await {
            Ok(verified) => verified,
            Err(e) => return guard_error(req, e),
        };
        match path_user_id(req) {
            Some(path_user) if path_user == user_id => Outcome::Success(Owner { user_id, expires_at: exp }),
            _ => guard_error(
                req,
                ApiError::new(Status::Forbidden, codes::FORBIDDEN, "You do not have access to this user's tasks"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_id_parameter_is_found_by_name() {
        assert!(is_user_id_param("<user_id>") && is_user_id_param("<_user_id>"));
        assert!(!is_user_id_param("user_id") && !is_user_id_param("<id>") && !is_user_id_param("<user_id..>"));
    }
}
