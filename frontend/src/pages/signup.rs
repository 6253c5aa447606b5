//! `/signup`.

use shared::limits::PASSWORD_MIN_CHARS;
use yew::prelude::*;
use yew_router::prelude::{use_navigator, Link};

use crate::auth::context::{use_auth, Session};
use crate::components::input::input_value;
use crate::hooks::redirect::use_redirect;
use crate::hooks::title::use_title;
use crate::pages::auth_form::auth_error_message;
use crate::routes::Route;

/// `/signup`: name, email, password (the 8-character rule shown up front).
#[component]
pub(crate) fn Signup() -> Html {
    use_title("Create an account");
    let auth = use_auth();
    let navigator = use_navigator();
    let name = use_state(String::new);
    let email = use_state(String::new);
    let password = use_state(String::new);
    let error = use_state(|| None::<String>);
    // Set when the server wants the email verified before the first sign-in.
    let verify_first = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let signed_in = matches!(auth.session(), Session::SignedIn(_));
    use_redirect(signed_in.then_some(Route::Tasks));
    if signed_in {
        return html! {};
    }
    if let Some(address) = &*verify_first {
        return html! {
            <section class="card narrow" role="status">
                <h1>{ "Check your email" }</h1>
                <p>{ "We sent a link to " }<strong>{ address }</strong>{ ". Follow it to verify your address, then sign in." }</p>
                <p><Link<Route> to={Route::Login}>{ "Go to sign in" }</Link<Route>></p>
            </section>
        };
    }
    let onsubmit = {
        let (auth, name, email, password, error, busy, verify_first) = (
            auth.clone(),
            name.clone(),
            email.clone(),
            password.clone(),
            error.clone(),
            busy.clone(),
            verify_first.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            if name.trim().is_empty() {
                error.set(Some("Please enter your name.".into()));
                return;
            }
            if password.chars().count() < PASSWORD_MIN_CHARS {
                error.set(Some(format!("The password needs at least {PASSWORD_MIN_CHARS} characters.")));
                return;
            }
            busy.set(true);
            error.set(None);
            let (auth, name, email, password, error, busy, navigator) = (
                auth.clone(),
                (*name).clone(),
                (*email).clone(),
                (*password).clone(),
                error.clone(),
                busy.clone(),
                navigator.clone(),
            );
            let verify_first = verify_first.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match auth.sign_up(&name, &email, &password).await {
                    Ok(true) => {
                        if let Some(nav) = navigator {
                            nav.push(&Route::Tasks);
                        }
                    }
                    Ok(false) => verify_first.set(Some(email.clone())),
                    Err(e) => error.set(Some(auth_error_message(&e))),
                }
                busy.set(false);
            });
        })
    };
    let on_name = {
        let name = name.clone();
        Callback::from(move |e: InputEvent| name.set(input_value(&e)))
    };
    let on_email = {
        let email = email.clone();
        Callback::from(move |e: InputEvent| email.set(input_value(&e)))
    };
    let on_password = {
        let password = password.clone();
        Callback::from(move |e: InputEvent| password.set(input_value(&e)))
    };
    html! {
        <section class="card narrow">
            <h1>{ "Create an account" }</h1>
            <form {onsubmit} novalidate=true>
                <label for="signup-name">{ "Name" }</label>
                <input id="signup-name" type="text" autocomplete="name" required=true value={(*name).clone()} oninput={on_name} />
                <label for="signup-email">{ "Email" }</label>
                <input id="signup-email" type="email" autocomplete="email" required=true value={(*email).clone()} oninput={on_email} />
                <label for="signup-password">{ "Password" }</label>
                <input id="signup-password" type="password" autocomplete="new-password" required=true
                    aria-describedby="signup-password-rule" value={(*password).clone()} oninput={on_password} />
                <p id="signup-password-rule" class="hint">{ format!("At least {PASSWORD_MIN_CHARS} characters.") }</p>
                if let Some(message) = &*error {
                    <p class="form-error" role="alert">{ message }</p>
                }
                <button type="submit" disabled={*busy} aria-busy={busy.to_string()}>
                    { if *busy { "Creating your account…" } else { "Create account" } }
                </button>
            </form>
            <p class="muted">{ "Already have an account? " }<Link<Route> to={Route::Login}>{ "Sign in" }</Link<Route>></p>
        </section>
    }
}
