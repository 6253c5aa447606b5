use yew::prelude::*;
use yew_router::prelude::*;

use crate::auth::{use_auth, Session};
use crate::routes::Route;

/// `/`: to the tasks when signed in, else to the sign-in page.
#[component]
pub fn Home() -> Html {
    match use_auth().session() {
        Session::Loading => html! { <p class="muted" aria-busy="true">{ "Loading…" }</p> },
        Session::SignedIn(_) => html! { <Redirect<Route> to={Route::Tasks} /> },
        Session::SignedOut => html! { <Redirect<Route> to={Route::Login} /> },
    }
}
