//! `/login`.

use yew::prelude::*;
use yew_router::prelude::{use_location, use_navigator, Link};

use crate::auth::context::{use_auth, Session};
use crate::components::input::input_value;
use crate::hooks::redirect::use_redirect;
use crate::hooks::title::use_title;
use crate::pages::auth_form::auth_error_message;
use crate::routes::{safe_redirect, LoginQuery, Route};

/// `/login`: email, password, "remember me"; back to `?redirect=` after.
#[component]
pub(crate) fn Login() -> Html {
    use_title("Sign in");
    let auth = use_auth();
    let navigator = use_navigator();
    let redirect = use_location().and_then(|l| LoginQuery::redirect(l.query_str()));
    let target = safe_redirect(redirect.as_deref());
    let email = use_state(String::new);
    let password = use_state(String::new);
    let remember = use_state(|| true);
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);

    let signed_in = matches!(auth.session(), Session::SignedIn(_));
    use_redirect(signed_in.then(|| target.clone()));
    if signed_in {
        return html! {};
    }
    let onsubmit = {
        let (auth, email, password, remember, error, busy) =
            (auth.clone(), email.clone(), password.clone(), remember.clone(), error.clone(), busy.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            busy.set(true);
            error.set(None);
            let (auth, email, password, remember, error, busy, navigator, target) = (
                auth.clone(),
                (*email).clone(),
                (*password).clone(),
                *remember,
                error.clone(),
                busy.clone(),
                navigator.clone(),
                target.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                match auth.sign_in(&email, &password, remember).await {
                    Ok(()) => {
                        if let Some(nav) = navigator {
                            nav.push(&target);
                        }
                    }
                    Err(e) => error.set(Some(auth_error_message(&e))),
                }
                busy.set(false);
            });
        })
    };
    let on_email = {
        let email = email.clone();
        Callback::from(move |e: InputEvent| email.set(input_value(&e)))
    };
    let on_password = {
        let password = password.clone();
        Callback::from(move |e: InputEvent| password.set(input_value(&e)))
    };
    let on_remember = {
        let remember = remember.clone();
        Callback::from(move |_: Event| remember.set(!*remember))
    };
    html! {
        <section class="card narrow">
            <h1>{ "Sign in" }</h1>
            <form {onsubmit} novalidate=true aria-describedby="login-error">
                <label for="login-email">{ "Email" }</label>
                <input id="login-email" type="email" autocomplete="email" required=true value={(*email).clone()} oninput={on_email} />
                <div class="label-row">
                    <label for="login-password">{ "Password" }</label>
                    <Link<Route> to={Route::ForgotPassword}>{ "Forgot password?" }</Link<Route>>
                </div>
                <input id="login-password" type="password" autocomplete="current-password" required=true value={(*password).clone()} oninput={on_password} />
                <label class="check"><input type="checkbox" checked={*remember} onchange={on_remember} />{ " Remember me" }</label>
                if let Some(message) = &*error {
                    <p id="login-error" class="form-error" role="alert">{ message }</p>
                }
                <button type="submit" disabled={*busy} aria-busy={busy.to_string()}>
                    { if *busy { "Signing in…" } else { "Sign in" } }
                </button>
            </form>
            <p class="muted">{ "No account yet? " }<Link<Route> to={Route::Signup}>{ "Create one" }</Link<Route>></p>
        </section>
    }
}
