//! `ApiError` → JSON `{message, code}` with a chosen status, and the catchers
//! that keep every `/api` error (even Rocket's own) in that shape.

use std::fmt::Display;
use std::sync::Mutex;

use rocket::fairing::AdHoc;
use rocket::http::{Header, Status};
use rocket::request::Outcome;
use rocket::response::{self, Responder};
use rocket::serde::json::Json;
use rocket::{catch, catchers, Request};
use shared::error::codes;
use shared::ErrorBody;

/// Result type of every API handler.
pub type AppResult<T> = Result<T, ApiError>;

/// An error as the client sees it. Causes are logged, never sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: Status,
    pub body: ErrorBody,
    /// Extra response headers (`Retry-After`, `WWW-Authenticate`).
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    pub fn new(status: Status, code: &str, message: impl Into<String>) -> Self {
        Self { status, body: ErrorBody::new(code, message), headers: Vec::new() }
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(Status::BadRequest, code, message)
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(Status::UnprocessableEntity, codes::VALIDATION_ERROR, message)
    }

    /// 429 `TOO_MANY_REQUESTS` with `Retry-After` (and Better Auth's
    /// `X-Retry-After`) in whole seconds.
    pub fn too_many_requests(message: impl Into<String>, retry_after_secs: u64) -> Self {
        Self::new(Status::TooManyRequests, codes::TOO_MANY_REQUESTS, message)
            .with_header("Retry-After", retry_after_secs.to_string())
            .with_header("X-Retry-After", retry_after_secs.to_string())
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(Status::ServiceUnavailable, codes::SERVICE_UNAVAILABLE, message)
    }

    /// A server-side failure: the cause goes to the log, the client gets a generic 500.
    pub fn internal(cause: impl Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(Status::InternalServerError, codes::INTERNAL_SERVER_ERROR, "Internal server error")
    }

    /// The body Rocket-level failures (no handler error) get, by status.
    pub fn from_status(status: Status) -> Self {
        let (code, message) = match status.code {
            400 => (codes::BAD_REQUEST, "The request could not be understood (malformed body or parameters)"),
            401 => (codes::UNAUTHORIZED, "Unauthorized"),
            403 => (codes::FORBIDDEN, "Forbidden"),
            404 => (codes::NOT_FOUND, "Not found"),
            405 => (codes::METHOD_NOT_ALLOWED, "Method not allowed"),
            413 => (codes::PAYLOAD_TOO_LARGE, "Request body is too large"),
            415 => (codes::UNSUPPORTED_MEDIA_TYPE, "Unsupported content type: send application/json"),
            422 => (codes::VALIDATION_ERROR, "The request body is not valid for this endpoint"),
            429 => (codes::TOO_MANY_REQUESTS, "Too many requests"),
            503 => (codes::SERVICE_UNAVAILABLE, "Service unavailable"),
            s if s >= 500 => (codes::INTERNAL_SERVER_ERROR, "Internal server error"),
            _ => (codes::BAD_REQUEST, "Bad request"),
        };
        Self::new(status, code, message)
    }
}

/// A database failure is the server's fault: logged with its cause, a
/// generic 500 for the client. Lets handlers use `?` on sqlx results.
impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        Self::internal(format_args!("database error: {e}"))
    }
}

impl<'r> Responder<'r, 'static> for ApiError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let mut res = Json(self.body).respond_to(req)?;
        res.set_status(self.status);
        for (name, value) in self.headers {
            res.set_header(Header::new(name, value));
        }
        // Errors are never cacheable: they depend on who asked and when.
        res.set_header(Header::new("Cache-Control", "no-store"));
        Ok(res)
    }
}

/// The specific error a request guard failed with. Rocket hands catchers only
/// the status, so guards leave their error here for the catcher to send.
#[derive(Default)]
struct GuardFailure(Mutex<Option<ApiError>>);

/// Keeps `err` for the catcher of this request.
pub fn remember_error(req: &Request<'_>, err: &ApiError) {
    if let Ok(mut slot) = req.local_cache(GuardFailure::default).0.lock() {
        *slot = Some(err.clone());
    }
}

/// Fails a request guard with `err`, keeping its code, message and headers.
pub fn guard_error<T>(req: &Request<'_>, err: ApiError) -> Outcome<T, ApiError> {
    remember_error(req, &err);
    Outcome::Error((err.status, err))
}

#[catch(default)]
fn api_default(status: Status, req: &Request<'_>) -> ApiError {
    let stored = req.local_cache(GuardFailure::default).0.lock().ok().and_then(|mut slot| slot.take());
    match stored {
        Some(err) if err.status == status => err,
        _ => ApiError::from_status(status),
    }
}

/// JSON catchers for everything under `/api`; the rest of the site is the SPA's.
pub fn stage() -> AdHoc {
    AdHoc::on_ignite("JSON error catchers", |rocket| async { rocket.register("/api", catchers![api_default]) })
}
