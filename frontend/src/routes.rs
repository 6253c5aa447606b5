//! The route table and safe post-login targets (pure: what renders for each
//! route is `app::switch`, so this file uses no page).

#[derive(Clone, PartialEq, Debug)]
pub(crate) enum Route {
    Home,
    Login,
    Signup,
    Tasks,
    /// Any other path.
    NotFound,
}

impl Route {
    pub(crate) fn path(&self) -> &'static str {
        match self {
            Route::Home => "/",
            Route::Login => "/login",
            Route::Signup => "/signup",
            Route::Tasks => "/tasks",
            Route::NotFound => "/404",
        }
    }

    /// The route at `path` (a trailing `/` is ignored), `None` if none is.
    pub(crate) fn recognize(path: &str) -> Option<Route> {
        let path = match path.strip_suffix('/') {
            Some("") | None => path,
            Some(trimmed) => trimmed,
        };
        [Route::Home, Route::Login, Route::Signup, Route::Tasks, Route::NotFound].into_iter().find(|r| r.path() == path)
    }
}

/// Where to go after signing in: the `redirect` query if it is a page of
/// this app (no open redirects: `//evil.com`, `https://…` are refused).
pub(crate) fn safe_redirect(target: Option<&str>) -> Route {
    let Some(path) = target.filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.contains('\\')) else {
        return Route::Tasks;
    };
    match Route::recognize(path.split(['?', '#']).next().unwrap_or(path)) {
        Some(Route::Login | Route::Signup | Route::NotFound) | None => Route::Tasks,
        Some(route) => route,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn only_same_app_paths_are_redirect_targets() {
        assert_eq!(safe_redirect(Some("/tasks")), Route::Tasks);
        assert_eq!(safe_redirect(Some("/")), Route::Home);
        assert_eq!(safe_redirect(None), Route::Tasks);
        assert_eq!(safe_redirect(Some("/tasks/?x=1#top")), Route::Tasks);
        assert_eq!(safe_redirect(Some("/no-such-page")), Route::Tasks);
        for hostile in
            ["https://evil.example/tasks", "//evil.example", "/\\evil.example", "javascript:alert(1)", "/login"]
        {
            assert_eq!(safe_redirect(Some(hostile)), Route::Tasks, "{hostile}");
        }
    }
}
