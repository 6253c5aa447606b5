//! `GET /api/openapi.json`: the API contract generated from the handlers'
//! annotations and the shared DTOs, and `GET /api/docs`, a plain HTML page
//! rendered from the same document (nothing fetched from a CDN).

use rocket::fairing::AdHoc;
use rocket::http::{ContentType, Header};
use rocket::{get, routes};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::reply::WithHeaders;
use crate::security;

#[derive(OpenApi)]
#[openapi(
    info(title = "Todo API", description = "Better-Auth-compatible auth server and JWT-guarded task API."),
    paths(
        crate::health::health, crate::health::ready,
        crate::auth::routes::sign_up, crate::auth::routes::sign_in, crate::auth::routes::get_session,
        crate::auth::routes::sign_out, crate::auth::routes::token, crate::auth::routes::jwks,
        crate::auth::account::change_password, crate::auth::account::update_user,
        crate::auth::account::list_sessions, crate::auth::account::revoke_session,
        crate::auth::account::revoke_other_sessions, crate::auth::account::revoke_sessions,
        crate::auth::account::delete_user,
        crate::auth::recovery::request_password_reset, crate::auth::recovery::reset_password_link,
        crate::auth::recovery::reset_password, crate::auth::recovery::send_verification_email,
        crate::auth::recovery::verify_email,
        crate::tasks::routes::list, crate::tasks::routes::create, crate::tasks::routes::read,
        crate::tasks::routes::replace, crate::tasks::routes::update, crate::tasks::routes::toggle,
        crate::tasks::routes::remove, crate::events::routes::events,
    ),
    modifiers(&BearerScheme),
    tags((name = "tasks", description = "Owner-scoped task CRUD; bearer JWT required"),
         (name = "auth", description = "Better Auth's HTTP API (email/password, sessions, JWT plugin)"),
         (name = "health", description = "Liveness and readiness")),
)]
pub struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// The document as JSON, built once.
fn spec_json() -> &'static str {
    static SPEC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SPEC.get_or_init(|| ApiDoc::openapi().to_pretty_json().unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")))
}

#[get("/openapi.json")]
fn openapi_json() -> (ContentType, &'static str) {
    (ContentType::JSON, spec_json())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A readable list of the operations, rendered server-side from the spec.
fn docs_html() -> String {
    let doc = ApiDoc::openapi();
    let mut rows = String::new();
    for (path, item) in doc.paths.paths.iter() {
        let ops = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let mut statuses: Vec<String> = op.responses.responses.keys().cloned().collect();
            statuses.sort();
            let summary = op.description.as_deref().or(op.summary.as_deref()).unwrap_or("");
            rows.push_str(&format!(
                "<tr><td><code>{method}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                escape(path),
                escape(summary),
                statuses.join(", ")
            ));
        }
    }
    format!(
        "<!doctype html><html lang=en><meta charset=utf-8><title>Todo API</title><style>{DOCS_CSS}</style>\
         <h1>Todo API</h1><p>Machine-readable: <a href=\"/api/openapi.json\">/api/openapi.json</a>. \
         Errors are always <code>{{\"message\", \"code\"}}</code>.</p>\
         <table><tr><th>method</th><th>path</th><th>what</th><th>statuses</th></tr>{rows}</table></html>"
    )
}

const DOCS_CSS: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}\
    td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}";

#[get("/docs")]
fn docs() -> WithHeaders<(ContentType, String)> {
    // No scripts at all; its one inline style allowed by hash.
    let policy = format!(
        "default-src 'none'; style-src {}; frame-ancestors 'none'; base-uri 'none'",
        security::sha256_source(DOCS_CSS)
    );
    WithHeaders((ContentType::HTML, docs_html()), vec![Header::new("Content-Security-Policy", policy)])
}

pub fn stage() -> AdHoc {
    AdHoc::on_ignite("OpenAPI", |rocket| async { rocket.mount("/api", routes![openapi_json, docs]) })
}
