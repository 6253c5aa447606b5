//! The banner a signed-in user with an unverified email sees, with
//! "Resend" (a new verification mail).

use yew::prelude::*;

use crate::api;
use crate::auth::context::use_auth;
use crate::components::field::Outcome;
use crate::hooks::submit::{use_submit, Phase};
use crate::pages::auth_form::auth_error_message;
use crate::routes::{page_url, Route};

/// Shown under the header until the email is verified or the banner is
/// dismissed (for this page load).
#[component]
pub(crate) fn VerifyBanner() -> Html {
    let auth = use_auth();
    let dismissed = use_state(|| false);
    let submit = use_submit();
    let Some(user) = auth.user().filter(|u| !u.email_verified && !*dismissed) else {
        return html! {};
    };
    let onresend = {
        let (email, submit) = (user.email.clone(), submit.clone());
        Callback::from(move |_: MouseEvent| {
            let email = email.clone();
            submit.run(async move {
                match api::account::send_verification_email(&email, &page_url(&Route::Tasks)).await {
                    Ok(()) => Ok(format!("Sent: check the inbox of {email}.")),
                    Err(e) => Err(auth_error_message(&e)),
                }
            });
        })
    };
    let ondismiss = Callback::from(move |_: MouseEvent| dismissed.set(true));
    let sent = matches!(submit.phase(), Phase::Done(_));
    html! {
        <div class="banner" role="region" aria-label="Email verification" data-testid="verify-banner">
            <p>{ "Please verify your email address: follow the link we mailed to " }<strong>{ &user.email }</strong>{ "." }</p>
            <div class="actions">
                if !sent {
                    <button type="button" class="secondary" disabled={submit.busy()} onclick={onresend}>
                        { if submit.busy() { "Sending…" } else { "Resend the link" } }
                    </button>
                }
                <button type="button" class="ghost" aria-label="Hide this message" onclick={ondismiss}>{ "Not now" }</button>
            </div>
            <Outcome phase={submit.phase()} />
        </div>
    }
}
