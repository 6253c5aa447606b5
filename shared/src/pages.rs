//! Which pages of the SPA the server answers with the small sign-in bundle.
//!
//! A first visit of a signed-out page (`/login` and the like) should not
//! download the whole app: `signin.html` carries a build of the SPA with only
//! these pages, and the server answers them with it (every other page path
//! gets `index.html`, the whole app). The sign-in bundle loads the whole app
//! from the server when it is asked for any other page, so a page listed here
//! must be one the sign-in bundle renders: the SPA's tests check that its
//! route table agrees with this list.

/// The page paths answered with [`SIGN_IN_DOCUMENT`] (no trailing slash).
pub const SIGN_IN_PAGES: [&str; 4] = ["/login", "/signup", "/forgot-password", "/reset-password"];

/// The sign-in bundle's page in the built SPA (`dist/`), beside `index.html`.
pub const SIGN_IN_DOCUMENT: &str = "signin.html";

/// Whether `path` (as the browser sent it, `/login/` included) is a page
/// of the sign-in bundle.
pub fn is_sign_in_page(path: &str) -> bool {
    let path = path.strip_suffix('/').filter(|p| !p.is_empty()).unwrap_or(path);
    SIGN_IN_PAGES.contains(&path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_pages_with_or_without_a_trailing_slash() {
        assert!(is_sign_in_page("/login"));
        assert!(is_sign_in_page("/reset-password/"));
        assert!(!is_sign_in_page("/"));
        assert!(!is_sign_in_page("/tasks"));
        assert!(!is_sign_in_page("/login/x"));
        assert!(!is_sign_in_page("login"));
    }
}
