//! Any unknown path.

use yew::prelude::*;

use crate::router::Link;
use crate::routes::Route;

/// Any unknown path.
#[component]
pub(crate) fn NotFound() -> Html {
    html! {
        <section class="card">
            <h1>{ "Page not found" }</h1>
            <p>{ "There is nothing at this address." }</p>
            <Link to={Route::Home}>{ "Go to the start page" }</Link>
        </section>
    }
}
