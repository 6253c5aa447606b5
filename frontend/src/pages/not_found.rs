//! Any unknown path.

use yew::prelude::*;

use yew_router::prelude::Link;

use crate::routes::Route;

/// Any unknown path.
#[component]
pub(crate) fn NotFound() -> Html {
    html! {
        <section class="card">
            <h1>{ "Page not found" }</h1>
            <p>{ "There is nothing at this address." }</p>
            <Link<Route> to={Route::Home}>{ "Go to the start page" }</Link<Route>>
        </section>
    }
}
