//! `/`: a redirect to where the visitor belongs.

use yew::prelude::*;

use crate::auth::context::{use_auth, Session};
use crate::hooks::redirect::use_redirect;
use crate::routes::Route;

/// `/`: to the tasks when signed in, else to the sign-in page.
#[component]
pub(crate) fn Home() -> Html {
    let auth = use_auth();
    use_redirect(match auth.session() {
        Session::Loading => None,
        Session::SignedIn(_) => Some(Route::Tasks),
        Session::SignedOut => Some(Route::Login),
    });
    html! { <p class="muted" aria-busy="true">{ "Loading…" }</p> }
}
