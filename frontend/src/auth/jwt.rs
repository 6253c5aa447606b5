//! Token expiry maths, pure so it tests without a server.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// Refresh a token this many seconds before it expires.
pub const REFRESH_MARGIN_SECS: i64 = 60;

/// The `exp` claim of a JWT (not verified: the server does that).
pub fn exp(token: &str) -> Option<i64> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice::<Claims>(&bytes).ok()?.exp
}

/// The one claim the SPA reads (others are skipped, not kept).
#[derive(serde::Deserialize)]
struct Claims {
    exp: Option<i64>,
}

/// Whether `token` is still good for at least the refresh margin.
pub fn is_fresh(token: &str, now_secs: i64) -> bool {
    exp(token).is_some_and(|exp| exp - now_secs > REFRESH_MARGIN_SECS)
}

pub fn now_secs() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn token(exp: i64) -> String {
        format!("h.{}.s", URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"u","exp":{exp}}}"#)))
    }

    #[test]
    fn reads_exp_and_refreshes_a_minute_early() {
        assert_eq!(exp(&token(1000)), Some(1000));
        assert!(is_fresh(&token(1000), 900));
        assert!(!is_fresh(&token(1000), 950), "inside the margin: refresh");
        assert!(!is_fresh(&token(1000), 2000));
        assert!(!is_fresh("not-a-jwt", 0));
    }
}
