use yew::prelude::*;
use yew_router::prelude::*;

use crate::routes::Route;

/// `/`: the landing page until sessions exist; then it redirects to
/// `/tasks` or `/login`.
#[component]
pub fn Home() -> Html {
    html! {
        <section class="card">
            <h1>{ "Todo" }</h1>
            <p>{ "A fast multi-user todo list: one Rust binary, one language." }</p>
            <p class="actions">
                <Link<Route> to={Route::Login} classes="button">{ "Sign in" }</Link<Route>>
                <Link<Route> to={Route::Signup} classes="button secondary">{ "Create an account" }</Link<Route>>
            </p>
        </section>
    }
}
