//! Build-time configuration: `API_URL` and `AUTH_URL` (a static SPA has no
//! server-side environment). Empty `API_URL` means "same origin".

/// Where the API and the auth server are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoints {
    /// Prefix for `/api/...` paths: `""` for same origin, else `https://host`.
    pub(crate) api_base: String,
    /// Base of the auth server, e.g. `/api/auth` or `https://auth.host/api/auth`.
    pub(crate) auth_base: String,
}

/// Validates the build-time values; an error names the bad variable.
pub(crate) fn endpoints_from(api_url: Option<&str>, auth_url: Option<&str>) -> Result<Endpoints, String> {
    let api_base = match api_url.map(str::trim).filter(|s| !s.is_empty()) {
        None => String::new(),
        Some(url) if is_http_url(url) => url.trim_end_matches('/').to_owned(),
        Some(url) => return Err(format!("API_URL must be an http(s) URL or empty, got `{url}`")),
    };
    let auth_base = match auth_url.map(str::trim).filter(|s| !s.is_empty()) {
        None => format!("{api_base}/api/auth"),
        Some(url) if is_http_url(url) => url.trim_end_matches('/').to_owned(),
        Some(url) => return Err(format!("AUTH_URL must be an http(s) URL, got `{url}`")),
    };
    Ok(Endpoints { api_base, auth_base })
}

/// An absolute http(s) URL with a host, by the browser's own URL parser.
fn is_http_url(url: &str) -> bool {
    web_sys::Url::new(url).is_ok_and(|u| matches!(u.protocol().as_str(), "http:" | "https:") && !u.host().is_empty())
}

/// The endpoints this build was configured with.
pub(crate) fn endpoints() -> Result<Endpoints, String> {
    endpoints_from(option_env!("API_URL"), option_env!("AUTH_URL"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn defaults_to_same_origin() {
        let e = endpoints_from(None, None).unwrap();
        assert_eq!(e, Endpoints { api_base: String::new(), auth_base: "/api/auth".into() });
    }

    #[test]
    fn auth_follows_api_url() {
        let e = endpoints_from(Some("https://api.example.com/"), None).unwrap();
        assert_eq!(e.api_base, "https://api.example.com");
        assert_eq!(e.auth_base, "https://api.example.com/api/auth");
    }

    #[test]
    fn bad_values_name_the_variable() {
        assert!(endpoints_from(Some("localhost:8000"), None).unwrap_err().contains("API_URL"));
        assert!(endpoints_from(None, Some("ftp://x")).unwrap_err().contains("AUTH_URL"));
        assert!(endpoints_from(Some("/api"), None).is_err(), "a path is not an origin");
        assert!(endpoints_from(Some("http://"), None).is_err());
    }
}
