//! CORS for split-origin deployments (SPA on another origin): preflights
//! answered, exact origins only (`CORS_ORIGINS` plus the base URL's own),
//! credentials allowed so the auth endpoints' cookies work cross-origin, and
//! the headers the SPA reads exposed.
//!
//! Why not rocket_cors: its fairing refuses every request whose `Origin` is
//! not listed, before routing. Browsers send `Origin` even on same-origin
//! module-script loads, so the SPA itself failed to load whenever the address
//! differed from BETTER_AUTH_URL, and it pre-empted the auth server's Better
//! Auth error codes (INVALID_ORIGIN) with its own 403. Here an unlisted origin
//! simply gets no CORS headers (the browser then withholds the response) and
//! its preflight is refused; CSRF stays the auth server's origin check.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{Header, Method, Status};
use rocket::request::{FromRequest, Outcome};
use rocket::{options, routes, Request, Response};

use crate::config::Settings;
use crate::error::ApiError;

/// Headers a cross-origin SPA may read from responses.
pub const EXPOSED_HEADERS: &str = "set-auth-jwt, X-Total-Count, Location, X-Request-Id, Retry-After, X-Change-Version";
const ALLOWED_METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
const ALLOWED_HEADERS: &str = "Authorization, Content-Type, Accept, X-Request-Id, Last-Event-ID";

/// The allow-list; also a fairing that adds CORS headers for listed origins.
#[derive(Clone)]
pub struct Cors {
    origins: Vec<String>,
}

impl Cors {
    pub fn new(settings: &Settings) -> Self {
        let mut origins = settings.cors_origins.clone();
        if !origins.contains(&settings.base_origin) {
            origins.push(settings.base_origin.clone());
        }
        Self { origins }
    }

    /// The request's `Origin` if it is on the list.
    fn allowed<'r>(&self, req: &'r Request<'_>) -> Option<&'r str> {
        req.headers().get_one("Origin").filter(|o| self.origins.iter().any(|allowed| allowed == o))
    }
}

#[rocket::async_trait]
impl Fairing for Cors {
    fn info(&self) -> Info {
        Info { name: "CORS", kind: Kind::Response }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        res.adjoin_header(Header::new("Vary", "Origin"));
        let Some(origin) = self.allowed(req) else { return };
        res.set_header(Header::new("Access-Control-Allow-Origin", origin.to_owned()));
        res.set_header(Header::new("Access-Control-Allow-Credentials", "true"));
        if req.method() == Method::Options {
            res.set_header(Header::new("Access-Control-Allow-Methods", ALLOWED_METHODS));
            res.set_header(Header::new("Access-Control-Allow-Headers", ALLOWED_HEADERS));
            res.set_header(Header::new("Access-Control-Max-Age", "600"));
        } else {
            res.set_header(Header::new("Access-Control-Expose-Headers", EXPOSED_HEADERS));
        }
    }
}

/// Whether a preflight asks for a listed origin and an allowed method.
pub struct PreflightCheck(bool);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PreflightCheck {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let origin_ok = req.rocket().state::<Cors>().is_some_and(|cors| cors.allowed(req).is_some());
        let method_ok = req
            .headers()
            .get_one("Access-Control-Request-Method")
            .is_some_and(|m| ALLOWED_METHODS.split(", ").any(|allowed| allowed.eq_ignore_ascii_case(m.trim())));
        Outcome::Success(PreflightCheck(origin_ok && method_ok))
    }
}

/// A preflight: 204 for a listed origin asking for an allowed method, else 403.
#[options("/<_path..>")]
fn preflight(_path: std::path::PathBuf, check: PreflightCheck) -> Result<Status, ApiError> {
    if check.0 {
        Ok(Status::NoContent)
    } else {
        Err(ApiError::new(
            Status::Forbidden,
            shared::error::codes::FORBIDDEN,
            "CORS preflight refused for this origin or method",
        ))
    }
}

/// Manages the allow-list, attaches the header fairing, mounts the preflight route.
pub fn stage(settings: &Settings) -> rocket::fairing::AdHoc {
    let cors = Cors::new(settings);
    rocket::fairing::AdHoc::on_ignite("CORS", move |rocket| async move {
        rocket.manage(cors.clone()).attach(cors).mount("/", routes![preflight])
    })
}
