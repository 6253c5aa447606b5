//! The one request function every HTTP call goes through, and where paths go
//! (`config::endpoints`).

use gloo_net::http::{Headers, Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use shared::ErrorBody;
use web_sys::RequestCredentials;

use crate::api::error::ApiError;
use crate::api::json;
use crate::config::endpoints;

/// A decoded answer and its headers.
pub(crate) struct Reply<T> {
    pub(crate) body: T,
    pub(crate) headers: Headers,
}

/// Where `/api/...` paths go.
pub(crate) fn api_url(path: &str) -> Result<String, ApiError> {
    Ok(format!("{}{path}", endpoints().map_err(ApiError::Config)?.api_base))
}

/// Where `/api/auth/...` endpoints go (`path` like `/sign-in/email`).
pub(crate) fn auth_url(path: &str) -> Result<String, ApiError> {
    Ok(format!("{}{path}", endpoints().map_err(ApiError::Config)?.auth_base))
}

/// Sends a request (JSON body and bearer token optional; see `send`) and
/// decodes the JSON answer; an empty body (204) decodes as JSON `null`.
pub(crate) async fn request<T: DeserializeOwned>(
    method: Method,
    url: &str,
    bearer: Option<&str>,
    json: Option<String>,
) -> Result<Reply<T>, ApiError> {
    let (text, headers) = exchange(method, url, bearer, json).await?;
    let body = json::from_str(&text).map_err(|e| ApiError::Decode(e.to_string()))?;
    Ok(Reply { body, headers })
}

/// The request itself and the error mapping: one copy in the wasm, not one
/// per answer type (only the JSON decoding in `request` is generic).
async fn exchange(
    method: Method,
    url: &str,
    bearer: Option<&str>,
    json: Option<String>,
) -> Result<(String, Headers), ApiError> {
    let builder = RequestBuilder::new(url).method(method).header("Accept", "application/json");
    let response = send(builder, bearer, json).await?;
    let headers = response.headers();
    let text = response.text().await.map_err(|e| ApiError::Network(e.to_string()))?;
    Ok((text, headers))
}

/// Opens a streamed answer (`GET`, bearer token, the extra `headers`): the
/// response with its body not yet read, once the status is a 2xx.
pub(crate) async fn open(
    url: &str,
    bearer: &str,
    headers: &[(&str, &str)],
    signal: &web_sys::AbortSignal,
) -> Result<Response, ApiError> {
    let builder = headers.iter().fold(RequestBuilder::new(url).abort_signal(Some(signal)), |b, (k, v)| b.header(k, v));
    send(builder, Some(bearer), None).await
}

/// Cookies included (so a cross-origin auth server works), the bearer token
/// and a JSON body if given; a non-2xx status becomes `ApiError::Http` with
/// the server's `{message, code}` and `Retry-After`.
async fn send(builder: RequestBuilder, bearer: Option<&str>, json: Option<String>) -> Result<Response, ApiError> {
    let mut builder = builder.credentials(RequestCredentials::Include);
    if let Some(token) = bearer {
        builder = builder.header("Authorization", &format!("Bearer {token}"));
    }
    let sent = match json {
        Some(body) => {
            builder
                .header("Content-Type", "application/json")
                .body(body)
                .map_err(|e| ApiError::Network(e.to_string()))?
                .send()
                .await
        }
        None => builder.send().await,
    };
    let response = sent.map_err(|e| ApiError::Network(e.to_string()))?;
    let status = response.status();
    if !(200..300).contains(&status) {
        let retry_after = response.headers().get("retry-after").and_then(|v| v.trim().parse().ok());
        let text = response.text().await.map_err(|e| ApiError::Network(e.to_string()))?;
        return Err(ApiError::Http { status, body: json::from_str::<ErrorBody>(&text).ok(), retry_after });
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    //! Through the browser's real `fetch`, with `window.fetch` stubbed.

    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Replaces `window.fetch` with a stub answering `status` (or failing
    /// like an offline network when `status` is 0) and recording what was
    /// sent.
    fn stub_fetch(status: u16) {
        let install = js_sys::Function::new_with_args(
            "status",
            "window.__sent = [];
             window.fetch = (input, init) => {
               const req = input instanceof Request ? input : new Request(input, init);
               window.__sent.push({ url: req.url, auth: req.headers.get('Authorization') });
               if (status === 0) return Promise.reject(new TypeError('Failed to fetch'));
               const body = status === 204 ? null
                 : JSON.stringify({ message: 'stubbed ' + status, code: 'STUB' });
               const headers = { 'content-type': 'application/json', 'retry-after': ' 7 ' };
               return Promise.resolve(new Response(body, { status, headers }));
             };",
        );
        install.call1(&wasm_bindgen::JsValue::NULL, &wasm_bindgen::JsValue::from(status)).expect("stub installed");
    }

    fn sent_authorization() -> Option<String> {
        let sent = js_sys::Reflect::get(&web_sys::window().unwrap(), &"__sent".into()).unwrap();
        let first = js_sys::Reflect::get(&sent, &0.into()).unwrap();
        js_sys::Reflect::get(&first, &"auth".into()).unwrap().as_string()
    }

    #[test]
    async fn sends_the_bearer_token_and_keeps_the_error_body() {
        for status in [401, 403, 404, 429, 503] {
            stub_fetch(status);
            let err = request::<serde::de::IgnoredAny>(Method::GET, "/api/u/tasks/1", Some("tok-123"), None)
                .await
                .err()
                .expect("an error");
            assert_eq!(sent_authorization().as_deref(), Some("Bearer tok-123"));
            assert_eq!(err.status(), Some(status));
            assert_eq!(err.code(), Some("STUB"), "the server's {{message, code}} is kept");
            assert_eq!(err.to_string(), format!("stubbed {status}"));
            assert_eq!(err.retry_after(), Some(7), "Retry-After is read");
        }
    }

    #[test]
    async fn no_response_is_a_network_error_and_an_empty_204_decodes() {
        stub_fetch(0);
        let err = request::<serde::de::IgnoredAny>(Method::GET, "/api/u/tasks", Some("t"), None).await.err();
        assert!(matches!(err, Some(ApiError::Network(_))), "{err:?}");

        stub_fetch(204);
        let ok = request::<()>(Method::DELETE, "/api/u/tasks/1", Some("t"), None).await;
        assert!(ok.is_ok(), "an empty 204 body decodes");
    }
}
