//! The route table (`#[derive(Routable)]`), the `/login?redirect=` query and
//! safe post-login targets. Which page each route shows is `app::switch`, so
//! this file uses no page.

use yew_router::query::Raw;
use yew_router::Routable;

#[derive(Clone, PartialEq, Debug, Routable)]
pub(crate) enum Route {
    /// To `/tasks` or `/login`, whichever applies.
    #[at("/")]
    Home,
    #[at("/login")]
    Login,
    #[at("/signup")]
    Signup,
    #[at("/tasks")]
    Tasks,
    #[at("/forgot-password")]
    ForgotPassword,
    /// Where the reset mail's link lands (`?token=` or `?error=`).
    #[at("/reset-password")]
    ResetPassword,
    #[at("/account")]
    Account,
    /// Any other path.
    #[not_found]
    #[at("/404")]
    NotFound,
}

impl Route {
    /// The signed-out pages (`/login` and the like) that the sign-in bundle
    /// (`signin.html`, `app::SignInApp`) carries and the server answers with
    /// it: `shared::pages::SIGN_IN_PAGES`, as routes.
    pub(crate) fn is_sign_in_page(&self) -> bool {
        matches!(self, Route::Login | Route::Signup | Route::ForgotPassword | Route::ResetPassword)
    }
}

/// `/login?redirect=<path>`: where to go back to after signing in. Written
/// and read with the browser's own URI coding (`encodeURIComponent`) rather
/// than serde_urlencoded, which cost the wasm about 2 KB on the wire.
pub(crate) struct LoginQuery;

impl LoginQuery {
    /// The query for `/login` that comes back to `path`.
    pub(crate) fn back_to(path: impl AsRef<str>) -> Raw<String> {
        Raw(format!("redirect={}", String::from(js_sys::encode_uri_component(path.as_ref()))))
    }

    /// The `redirect` of a query string (`?a=b&redirect=…`), decoded.
    pub(crate) fn redirect(query: &str) -> Option<String> {
        query_param(query, "redirect")
    }
}

/// The parameter `name` of a query string (`?a=b&c=d`), decoded.
pub(crate) fn query_param(query: &str, name: &str) -> Option<String> {
    let value = query
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))?;
    js_sys::decode_uri_component(&value.replace('+', " ")).ok().map(String::from)
}

/// The absolute URL of `route` on this page's origin (where mail links
/// should come back to).
pub(crate) fn page_url(route: &Route) -> String {
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    format!("{origin}{}", route.to_path())
}

/// Where to go after signing in: the `redirect` target if it is a page of
/// this app, else `/tasks`.
pub(crate) fn safe_redirect(target: Option<&str>) -> Route {
    let origin = web_sys::window().and_then(|w| w.location().origin().ok());
    match target.zip(origin) {
        Some((target, origin)) => same_origin_route(target, &origin),
        None => Route::Tasks,
    }
}

/// `target` resolved as the browser would against `origin` (the WHATWG URL
/// parser, not string slicing): a route of this app on this origin, or
/// `/tasks`. No open redirects: `//evil.example`, `/\evil.example`,
/// `https://…` elsewhere and `javascript:` all have another origin.
fn same_origin_route(target: &str, origin: &str) -> Route {
    let route = web_sys::Url::new_with_base(target, origin)
        .ok()
        .filter(|url| url.origin() == origin)
        .and_then(|url| Route::recognize(&url.pathname()));
    match route {
        Some(route) if !route.is_sign_in_page() && route != Route::NotFound => route,
        _ => Route::Tasks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const ORIGIN: &str = "https://todo.example";

    #[test]
    fn the_redirect_query_round_trips_any_path() {
        for path in ["/tasks", "/tasks?x=1&y=2#z", "/a b/é", "//evil.example"] {
            let Raw(query) = LoginQuery::back_to(path);
            assert_eq!(LoginQuery::redirect(&format!("?{query}")).as_deref(), Some(path), "{query}");
        }
        assert_eq!(LoginQuery::redirect("?other=1&redirect=%2Ftasks").as_deref(), Some("/tasks"));
        assert_eq!(LoginQuery::redirect("?redirect=%E0%A4%A"), None, "malformed coding");
        assert_eq!(LoginQuery::redirect(""), None);
        assert_eq!(query_param("?token=a%2Bb&error=X", "token").as_deref(), Some("a+b"));
        assert_eq!(query_param("?tokens=1&token=2", "token").as_deref(), Some("2"), "whole names only");
        assert_eq!(query_param("?token=a", "error"), None);
    }

    #[test]
    fn only_same_app_paths_are_redirect_targets() {
        assert_eq!(same_origin_route("/tasks", ORIGIN), Route::Tasks);
        assert_eq!(same_origin_route("/", ORIGIN), Route::Home);
        assert_eq!(same_origin_route("/account", ORIGIN), Route::Account);
        assert_eq!(same_origin_route("/tasks/?x=1#top", ORIGIN), Route::Tasks);
        assert_eq!(same_origin_route("https://todo.example/", ORIGIN), Route::Home, "this origin, spelled out");
        assert_eq!(same_origin_route("/no-such-page", ORIGIN), Route::Tasks);
        assert_eq!(safe_redirect(None), Route::Tasks);
        assert_eq!(safe_redirect(Some("/")), Route::Home, "against the page's own origin");
        for hostile in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example/",
            "\\\\evil.example/",
            "https://todo.example.evil.example/",
            "javascript:alert(1)",
            "/login",
            "/signup",
            "/forgot-password",
            "/reset-password?token=x",
        ] {
            assert_eq!(same_origin_route(hostile, ORIGIN), Route::Tasks, "{hostile}");
            assert_eq!(safe_redirect(Some(hostile)), Route::Tasks, "{hostile}");
        }
    }

    #[test]
    fn paths_are_the_apps_urls() {
        assert_eq!(Route::Tasks.to_path(), "/tasks");
        assert_eq!(Route::recognize("/login"), Some(Route::Login));
        assert_eq!(Route::recognize("/tasks/"), Some(Route::Tasks), "a trailing slash is the same page");
        assert_eq!(Route::recognize("/nope"), Some(Route::NotFound));
    }

    #[test]
    fn the_sign_in_pages_are_the_ones_the_server_answers_with_the_sign_in_bundle() {
        for path in Route::routes() {
            let route = Route::recognize(path).expect(path);
            assert_eq!(route.is_sign_in_page(), shared::pages::is_sign_in_page(path), "{path}");
        }
        for path in shared::pages::SIGN_IN_PAGES {
            assert!(Route::recognize(path).is_some_and(|r| r.is_sign_in_page() && r.to_path() == path), "{path}");
        }
    }
}
