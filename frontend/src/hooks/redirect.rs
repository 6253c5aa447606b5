//! `use_redirect`: leave a page that only redirects; `use_signed_in_user`:
//! keep signed-out visitors off a protected page.

use yew::prelude::*;
use yew_router::prelude::use_navigator;
use yew_router::Routable as _;

use crate::routes::Route;

/// Goes to `to` once rendered with `Some`, replacing the current history
/// entry (Back must not land on a page that only redirects again; yew-router's
/// `<Redirect>` pushes).
#[hook]
pub(crate) fn use_redirect(to: Option<Route>) {
    let navigator = use_navigator();
    use_effect_with(to, move |to| {
        if let (Some(to), Some(nav)) = (to, navigator) {
            nav.replace(to);
        }
    });
}

/// For protected pages: the signed-in user, or `None` while the session
/// loads; a signed-out visitor goes to `/login?redirect=<back_to>`.
#[hook]
pub(crate) fn use_signed_in_user(back_to: Route) -> Option<shared::auth::User> {
    let auth = crate::auth::context::use_auth();
    let navigator = use_navigator();
    let signed_out = matches!(auth.session(), crate::auth::context::Session::SignedOut);
    use_effect_with(signed_out, move |signed_out| {
        if let (true, Some(nav)) = (*signed_out, navigator) {
            let _ = nav.replace_with_query(&Route::Login, crate::routes::LoginQuery::back_to(back_to.to_path()));
        }
    });
    auth.user().cloned()
}
