//! Token expiry maths, pure so it tests without a server.

/// Refresh a token this many seconds before it expires.
pub(crate) const REFRESH_MARGIN_SECS: i64 = 60;

/// The `exp` claim of a JWT (not verified: the server does that).
///
/// The payload is base64url; the browser's `atob` decodes it once the
/// alphabet and padding are standard. (`atob` yields one char per byte, so
/// non-ASCII claims come out garbled, but JSON still parses and `exp` is a
/// number.)
pub(crate) fn exp(token: &str) -> Option<i64> {
    let payload = token.split('.').nth(1)?.trim_end_matches('=');
    let mut standard: String = payload
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !standard.len().is_multiple_of(4) {
        standard.push('=');
    }
    let text = web_sys::window()?.atob(&standard).ok()?;
    crate::api::json::from_str::<Claims>(&text).ok()?.exp
}

/// The one claim the SPA reads (others are skipped, not kept).
#[derive(serde::Deserialize)]
struct Claims {
    exp: Option<i64>,
}

/// Whether `token` is still good for at least the refresh margin.
pub(crate) fn is_fresh(token: &str, now_secs: i64) -> bool {
    exp(token).is_some_and(|exp| exp - now_secs > REFRESH_MARGIN_SECS)
}

pub(crate) fn now_secs() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;

    fn token(exp: i64) -> String {
        token_with(&format!(r#"{{"sub":"u","exp":{exp}}}"#))
    }

    fn token_with(claims: &str) -> String {
        format!("h.{}.s", URL_SAFE_NO_PAD.encode(claims))
    }

    #[test]
    fn decodes_every_base64url_length_and_non_ascii_claims() {
        // Payload lengths that need 0, 1 and 2 padding characters, with the
        // URL-safe alphabet's `-` and `_` in play, and a name in UTF-8.
        for name in ["a", "ab", "abc", "Zoë ✓", "??>>??"] {
            let t = token_with(&format!(r#"{{"name":"{name}","exp":1795617934}}"#));
            assert_eq!(exp(&t), Some(1_795_617_934), "{t}");
        }
        assert_eq!(exp("h.!!!.s"), None);
        assert_eq!(exp(&token_with(r#"{"sub":"u"}"#)), None);
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
