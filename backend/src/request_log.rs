//! One log line per request (method, path without query, status, latency,
//! request id) and the `X-Request-Id` response header. Query strings, headers
//! and bodies are never logged: they can carry tokens, passwords and cookies.

use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Data, Request, Response};

pub const REQUEST_ID_HEADER: &str = "X-Request-Id";

/// Per-request state cached on the request.
struct Started {
    id: String,
    at: Instant,
}

pub struct RequestLog;

/// Accepts a caller's request id only if it is short and plain, so log lines
/// cannot be forged or bloated through it.
fn sane_request_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn new_request_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

fn started<'r>(req: &'r Request<'_>) -> &'r Started {
    req.local_cache(|| {
        let id = req
            .headers()
            .get_one(REQUEST_ID_HEADER)
            .filter(|id| sane_request_id(id))
            .map(str::to_owned)
            .unwrap_or_else(new_request_id);
        Started { id, at: Instant::now() }
    })
}

/// The path as logged: auth routes with a secret in the path (the reset
/// link's token) are logged by their template, never with the secret.
fn loggable_path(req: &Request<'_>) -> String {
    match req.route() {
        Some(route) if route.uri.base() == "/api/auth" && route.uri.path().contains('<') => {
            route.uri.path().to_string()
        }
        _ => req.uri().path().to_string(),
    }
}

#[rocket::async_trait]
impl Fairing for RequestLog {
    fn info(&self) -> Info {
        Info { name: "Request log", kind: Kind::Request | Kind::Response }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        started(req);
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let started = started(req);
        let micros = started.at.elapsed().as_micros();
        res.set_header(Header::new(REQUEST_ID_HEADER, started.id.clone()));
        tracing::info!(
            "{} {} {} {}.{:03}ms id={}",
            req.method(),
            loggable_path(req),
            res.status().code,
            micros / 1000,
            micros % 1000,
            started.id
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_from_clients_are_filtered() {
        assert!(sane_request_id("abc-123_X"));
        assert!(!sane_request_id(""));
        assert!(!sane_request_id("a b"));
        assert!(!sane_request_id("x\ninjected=1"));
        assert!(!sane_request_id(&"a".repeat(65)));
        assert_eq!(new_request_id().len(), 16);
    }
}
