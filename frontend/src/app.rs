//! The root: configuration check, providers (router, toasts, auth), the
//! page frame with its header, and which page each route shows.

use yew::prelude::*;
use yew_router::prelude::{use_navigator, BrowserRouter, Link, Switch};

use crate::auth::context::{use_auth, AuthProvider, Session};
use crate::components::config_error::ConfigError;
use crate::config::endpoints;
use crate::pages::account::Account;
use crate::pages::forgot_password::ForgotPassword;
use crate::pages::home::Home;
use crate::pages::login::Login;
use crate::pages::not_found::NotFound;
use crate::pages::reset_password::ResetPassword;
use crate::pages::server_status_panel::ServerStatusPanel;
use crate::pages::signup::Signup;
use crate::pages::tasks::Tasks;
use crate::pages::verify_banner::VerifyBanner;
use crate::routes::Route;
use crate::toast::provider::ToastProvider;

/// The whole app (`index.html`).
#[component]
pub(crate) fn App() -> Html {
    frame(html! {
        <>
            <VerifyBanner />
            <Switch<Route> render={switch} />
        </>
    })
}

/// The sign-in bundle (`signin.html`, what the server answers `/login` and
/// the other signed-out pages with): the same frame with only those pages,
/// so a first visit downloads a fraction of the app. Any other page is
/// loaded from the server, which answers it with the whole app.
#[component]
pub(crate) fn SignInApp() -> Html {
    frame(html! { <Switch<Route> render={sign_in_switch} /> })
}

/// The providers and the page frame around `pages`.
fn frame(pages: Html) -> Html {
    // A bad build-time API_URL/AUTH_URL must say so, not leave a blank page.
    if let Err(e) = endpoints() {
        return html! { <ConfigError message={e} /> };
    }
    html! {
        <BrowserRouter>
            <ToastProvider>
                <AuthProvider>
                    <Header />
                    <main class="app-main">{ pages }</main>
                    <footer class="app-footer">
                        <ServerStatusPanel />
                    </footer>
                </AuthProvider>
            </ToastProvider>
        </BrowserRouter>
    }
}

/// The page for each route.
fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <Home /> },
        Route::Login => html! { <Login /> },
        Route::Signup => html! { <Signup /> },
        Route::Tasks => html! { <Tasks /> },
        Route::ForgotPassword => html! { <ForgotPassword /> },
        Route::ResetPassword => html! { <ResetPassword /> },
        Route::Account => html! { <Account /> },
        Route::NotFound => html! { <NotFound /> },
    }
}

/// The sign-in bundle's pages (`Route::is_sign_in_page`, and `/`, which
/// only redirects); the others are not in it. No wildcard: a new route must
/// say which bundle shows it. The shared arms are spelt out rather than
/// handed to `switch`, which would link every page into this bundle.
fn sign_in_switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <Home /> },
        Route::Login => html! { <Login /> },
        Route::Signup => html! { <Signup /> },
        Route::ForgotPassword => html! { <ForgotPassword /> },
        Route::ResetPassword => html! { <ResetPassword /> },
        Route::Tasks | Route::Account | Route::NotFound => html! { <LoadWholeApp /> },
    }
}

/// A page the sign-in bundle does not carry. The router has already put its
/// URL in the address bar, so loading that URL again fetches the page from
/// the server, which answers it with the whole app.
#[component]
fn LoadWholeApp() -> Html {
    use_effect_with((), |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    });
    html! { <p class="muted" aria-busy="true">{ "Loading…" }</p> }
}

/// Brand, and either the user with Sign out or the sign-in links.
#[component]
fn Header() -> Html {
    let auth = use_auth();
    let navigator = use_navigator();
    let busy = use_state(|| false);
    let onsignout = {
        let (auth, busy) = (auth.clone(), busy.clone());
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            busy.set(true);
            let (auth, busy, navigator) = (auth.clone(), busy.clone(), navigator.clone());
            wasm_bindgen_futures::spawn_local(async move {
                auth.sign_out().await;
                busy.set(false);
                if let Some(nav) = navigator {
                    nav.push(&Route::Login);
                }
            });
        })
    };
    html! {
        <header class="app-header">
            <Link<Route> to={Route::Home} classes="brand">{ "Todo" }</Link<Route>>
            <nav aria-label="Account">
                { match auth.session() {
                    Session::SignedIn(user) => html! {
                        <>
                            <Link<Route> to={Route::Account} classes="who">
                                <span class="visually-hidden">{ "Account of " }</span>
                                <span data-testid="user-name">{ &user.name }</span>
                            </Link<Route>>
                            <button type="button" class="secondary" onclick={onsignout} disabled={*busy}>{ "Sign out" }</button>
                        </>
                    },
                    Session::SignedOut => html! {
                        <>
                            <Link<Route> to={Route::Login}>{ "Sign in" }</Link<Route>>
                            <Link<Route> to={Route::Signup}>{ "Sign up" }</Link<Route>>
                        </>
                    },
                    Session::Loading => html! {},
                } }
            </nav>
        </header>
    }
}
