//! Browser security headers on every response, and the SPA's
//! Content-Security-Policy.
//!
//! The policy allows scripts only from this origin plus, by hash, the inline
//! module Trunk writes into `index.html` to start the wasm bundle — no
//! `unsafe-inline`, and `wasm-unsafe-eval` only because compiling
//! WebAssembly needs it.

use base64::Engine as _;
use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Request, Response};
use sha2::{Digest, Sha256};

/// Sets the headers every response gets; `hsts` when served over https.
pub struct SecurityHeaders {
    hsts: bool,
}

impl SecurityHeaders {
    /// `base_url` is `BETTER_AUTH_URL`: https there means browsers reach us
    /// over https (possibly through a TLS-terminating proxy).
    pub fn new(base_url: &str) -> Self {
        Self { hsts: base_url.starts_with("https://") }
    }
}

/// For responses that are not the SPA's page (JSON, assets, API docs): they
/// need no scripts of their own from a policy's point of view, and must not
/// be framed.
const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info { name: "security headers", kind: Kind::Response }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        res.set_header(Header::new("X-Content-Type-Options", "nosniff"));
        res.set_header(Header::new("Referrer-Policy", "no-referrer"));
        res.set_header(Header::new("X-Frame-Options", "DENY"));
        res.set_header(Header::new("Cross-Origin-Opener-Policy", "same-origin"));
        if self.hsts {
            res.set_header(Header::new("Strict-Transport-Security", "max-age=31536000; includeSubDomains"));
        }
        if !res.headers().contains("Content-Security-Policy") {
            res.set_header(Header::new("Content-Security-Policy", API_POLICY));
        }
        // Anything under /api is per-user or changes: never stored by caches
        // unless the route chose a policy (e.g. the JWKS's max-age).
        if req.uri().path().starts_with("/api") && !res.headers().contains("Cache-Control") {
            res.set_header(Header::new("Cache-Control", "no-store"));
        }
    }
}

/// The policy for the SPA's `index.html`: its inline scripts are allowed by
/// their SHA-256, nothing else inline.
pub fn spa_policy(index_html: &str) -> String {
    let hashes: String = inline_scripts(index_html).map(|s| format!(" {}", sha256_source(s))).collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// A CSP source allowing exactly this inline script or style.
pub fn sha256_source(inline: &str) -> String {
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(inline.as_bytes())))
}

/// The bodies of `<script>` elements without a `src` (what a hash must cover).
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    let mut rest = html;
    std::iter::from_fn(move || loop {
        let start = rest.find("<script")?;
        let open_end = start + rest[start..].find('>')?;
        let body_end = open_end + rest[open_end..].find("</script>")?;
        let tag = &rest[start..open_end];
        let body = &rest[open_end + 1..body_end];
        rest = &rest[body_end..];
        if !tag.contains("src=") {
            return Some(body);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_allowed_by_hash_and_nothing_else_inline() {
        let html = r#"<head><script type="module">import init from '/app.js';
init();</script><script src="/other.js"></script><script>b()</script></head>"#;
        let policy = spa_policy(html);
        let hash = |s: &str| base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes()));
        assert!(policy.contains(&format!("'sha256-{}'", hash("import init from '/app.js';\ninit();"))), "{policy}");
        assert!(policy.contains(&format!("'sha256-{}'", hash("b()"))));
        assert_eq!(policy.matches("'sha256-").count(), 2, "no hash for the external script");
        assert!(!policy.contains("unsafe-inline"));
        assert!(policy.contains("frame-ancestors 'none'"));
    }

    #[test]
    fn a_page_without_inline_scripts_gets_no_hashes() {
        assert!(!spa_policy("<p>hi</p>").contains("sha256"));
        assert!(!spa_policy("<script>unterminated").contains("sha256"));
    }
}
