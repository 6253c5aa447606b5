//! `/forgot-password`.

use yew::prelude::*;
use yew_router::prelude::Link;

use crate::api;
use crate::components::field::{Field, Outcome};
use crate::hooks::submit::use_submit;
use crate::hooks::title::use_title;
use crate::pages::auth_form::auth_error_message;
use crate::routes::{page_url, Route};

/// `/forgot-password`: an email; the same confirmation whatever the email,
/// so the page does not tell who has an account.
#[component]
pub(crate) fn ForgotPassword() -> Html {
    use_title("Forgot password");
    let email = use_state(String::new);
    let submit = use_submit();
    let onsubmit = {
        let (email, submit) = (email.clone(), submit.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if !email.contains('@') {
                submit.fail("Please enter the email address you signed up with.");
                return;
            }
            let email = email.trim().to_owned();
            submit.run(async move {
                match api::account::request_password_reset(&email, &page_url(&Route::ResetPassword)).await {
                    Ok(()) => Ok(format!(
                        "If {email} has an account, a link to choose a new password is on its way. \
                         It works once, within an hour."
                    )),
                    Err(e) => Err(auth_error_message(&e)),
                }
            });
        })
    };
    html! {
        <section class="card narrow">
            <h1>{ "Forgot your password?" }</h1>
            <p class="muted">{ "Enter your email address and we will send you a link to choose a new password." }</p>
            <form {onsubmit} novalidate=true>
                <Field id="forgot-email" label="Email" kind="email" autocomplete="email" value={email} />
                <Outcome phase={submit.phase()} />
                <button type="submit" disabled={submit.busy()} aria-busy={submit.busy().to_string()}>
                    { if submit.busy() { "Sending…" } else { "Send the link" } }
                </button>
            </form>
            <p class="muted"><Link<Route> to={Route::Login}>{ "Back to sign in" }</Link<Route>></p>
        </section>
    }
}
