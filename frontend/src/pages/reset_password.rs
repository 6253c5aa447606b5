//! `/reset-password?token=` (or `?error=INVALID_TOKEN`), where the reset
//! mail's link lands.

use yew::prelude::*;
use yew_router::prelude::{use_location, use_navigator, Link};

use shared::limits::PASSWORD_MIN_CHARS;

use crate::api;
use crate::components::field::{Field, Outcome};
use crate::hooks::submit::use_submit;
use crate::hooks::title::use_title;
use crate::pages::auth_form::{auth_error_message, new_password_problem};
use crate::routes::{query_param, Route};
use crate::toast::provider::use_toasts;

/// The new password, twice; then `/login` with "Password changed — sign in".
/// A link the server refused says so and offers a new one.
#[component]
pub(crate) fn ResetPassword() -> Html {
    use_title("Choose a new password");
    let query = use_location().map(|l| l.query_str().to_owned()).unwrap_or_default();
    let token = query_param(&query, "token").filter(|t| !t.is_empty() && query_param(&query, "error").is_none());
    let navigator = use_navigator();
    let toasts = use_toasts();
    let password = use_state(String::new);
    let again = use_state(String::new);
    let submit = use_submit();
    let Some(token) = token else {
        return html! {
            <section class="card narrow">
                <h1>{ "This link does not work" }</h1>
                <p>{ "The link is invalid, was already used, or has expired (links work for an hour)." }</p>
                <p><Link<Route> to={Route::ForgotPassword} classes="button">{ "Get a new link" }</Link<Route>></p>
            </section>
        };
    };
    let onsubmit = {
        let (password, again, submit) = (password.clone(), again.clone(), submit.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(problem) = new_password_problem(&password, &again) {
                submit.fail(problem);
                return;
            }
            let (token, password, navigator, toasts) =
                (token.clone(), (*password).clone(), navigator.clone(), toasts.clone());
            submit.run(async move {
                api::account::reset_password(&token, &password).await.map_err(|e| auth_error_message(&e))?;
                toasts.info("Password changed — sign in with the new one.");
                if let Some(nav) = navigator {
                    nav.push(&Route::Login);
                }
                Ok("Password changed.".into())
            });
        })
    };
    html! {
        <section class="card narrow">
            <h1>{ "Choose a new password" }</h1>
            <form {onsubmit} novalidate=true>
                <Field id="reset-password" label="New password" kind="password" autocomplete="new-password"
                    value={password} hint={format!("At least {PASSWORD_MIN_CHARS} characters.")} />
                <Field id="reset-again" label="New password again" kind="password" autocomplete="new-password" value={again} />
                <Outcome phase={submit.phase()} />
                <button type="submit" disabled={submit.busy()} aria-busy={submit.busy().to_string()}>
                    { if submit.busy() { "Saving…" } else { "Set the new password" } }
                </button>
            </form>
            <p class="muted"><Link<Route> to={Route::ForgotPassword}>{ "Get a new link" }</Link<Route>></p>
        </section>
    }
}
