//! The root: configuration check, router, the page frame.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::components::ConfigError;
use crate::config::endpoints;
use crate::pages::ServerStatusPanel;
use crate::routes::{switch, Route};

#[component]
pub fn App() -> Html {
    // A bad build-time API_URL/AUTH_URL must say so, not leave a blank page.
    if let Err(e) = endpoints() {
        return html! { <ConfigError message={e} /> };
    }
    html! {
        <BrowserRouter>
            <header class="app-header">
                <Link<Route> to={Route::Home} classes="brand">{ "Todo" }</Link<Route>>
                <nav aria-label="Account">
                    <Link<Route> to={Route::Login}>{ "Sign in" }</Link<Route>>
                    <Link<Route> to={Route::Signup}>{ "Sign up" }</Link<Route>>
                </nav>
            </header>
            <main class="app-main">
                <Switch<Route> render={switch} />
            </main>
            <footer class="app-footer">
                <ServerStatusPanel />
            </footer>
        </BrowserRouter>
    }
}
