//! `/account` (protected): name, password, where you are signed in
//! (`devices`), and deleting the account.

use shared::auth::User;
use shared::limits::PASSWORD_MIN_CHARS;
use yew::prelude::*;
use yew_router::prelude::use_navigator;

use crate::api;
use crate::auth::context::use_auth;
use crate::components::field::{Field, Outcome};
use crate::hooks::redirect::use_signed_in_user;
use crate::hooks::submit::use_submit;
use crate::hooks::title::use_title;
use crate::pages::auth_form::{account_error, new_password_problem};
use crate::pages::devices::Devices;
use crate::routes::Route;
use crate::toast::provider::use_toasts;

#[component]
pub(crate) fn Account() -> Html {
    use_title("Your account");
    // Bumped when the list of devices changes from another section.
    let devices_changed = use_state(|| 0u32);
    let Some(user) = use_signed_in_user(Route::Account) else {
        return html! { <p class="muted" aria-busy="true">{ "Loading…" }</p> };
    };
    let on_others_signed_out = {
        let devices_changed = devices_changed.clone();
        Callback::from(move |()| devices_changed.set(*devices_changed + 1))
    };
    html! {
        <div class="stack">
            <h1>{ "Your account" }</h1>
            <Profile user={user.clone()} />
            <ChangePassword {on_others_signed_out} />
            <Devices changed={*devices_changed} />
            <DeleteAccount />
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ProfileProps {
    user: User,
}

/// The name (editable) and the email with whether it is verified.
#[component]
fn Profile(props: &ProfileProps) -> Html {
    let auth = use_auth();
    let name = use_state(|| props.user.name.clone());
    let submit = use_submit();
    let onsubmit = {
        let (auth, name, submit) = (auth.clone(), name.clone(), submit.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let new_name = name.trim().to_owned();
            if new_name.is_empty() {
                submit.fail("Please enter a name.");
                return;
            }
            let auth = auth.clone();
            submit.run(async move {
                api::account::rename(&new_name).await.map_err(|e| account_error(&auth, &e))?;
                auth.renamed(&new_name);
                Ok("Saved.".into())
            });
        })
    };
    html! {
        <section class="card" aria-labelledby="profile-title">
            <h2 id="profile-title">{ "Profile" }</h2>
            <p class="muted" data-testid="account-email">
                { &props.user.email }{ " · " }
                { if props.user.email_verified { "verified" } else { "not verified yet" } }
            </p>
            <form {onsubmit} novalidate=true>
                <Field id="account-name" label="Name" autocomplete="name" value={name} />
                <Outcome phase={submit.phase()} />
                <button type="submit" disabled={submit.busy()}>{ if submit.busy() { "Saving…" } else { "Save name" } }</button>
            </form>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ChangePasswordProps {
    on_others_signed_out: Callback<()>,
}

/// Current + new password, and "sign out my other devices" (on by default:
/// after a leak that is what a user needs).
#[component]
fn ChangePassword(props: &ChangePasswordProps) -> Html {
    let auth = use_auth();
    let current = use_state(String::new);
    let new = use_state(String::new);
    let again = use_state(String::new);
    let sign_out_others = use_state(|| true);
    let submit = use_submit();
    let onsubmit = {
        let (auth, submit, on_others_signed_out) = (auth.clone(), submit.clone(), props.on_others_signed_out.clone());
        let (current, new, again, sign_out_others) =
            (current.clone(), new.clone(), again.clone(), sign_out_others.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if current.is_empty() {
                submit.fail("Please enter your current password.");
                return;
            }
            if let Some(problem) = new_password_problem(&new, &again) {
                submit.fail(problem);
                return;
            }
            let (auth, on_others_signed_out, revoke) = (auth.clone(), on_others_signed_out.clone(), *sign_out_others);
            let (old_password, new_password) = ((*current).clone(), (*new).clone());
            let fields = [current.clone(), new.clone(), again.clone()];
            submit.run(async move {
                api::account::change_password(&old_password, &new_password, revoke)
                    .await
                    .map_err(|e| account_error(&auth, &e))?;
                fields.iter().for_each(|f| f.set(String::new()));
                if revoke {
                    on_others_signed_out.emit(());
                    return Ok("Password changed. Your other devices are signed out.".into());
                }
                Ok("Password changed.".into())
            });
        })
    };
    let on_toggle = {
        let sign_out_others = sign_out_others.clone();
        Callback::from(move |_: Event| sign_out_others.set(!*sign_out_others))
    };
    html! {
        <section class="card" aria-labelledby="password-title">
            <h2 id="password-title">{ "Password" }</h2>
            <form {onsubmit} novalidate=true>
                <Field id="current-password" label="Current password" kind="password" autocomplete="current-password" value={current} />
                <Field id="new-password" label="New password" kind="password" autocomplete="new-password" value={new}
                    hint={format!("At least {PASSWORD_MIN_CHARS} characters.")} />
                <Field id="new-password-again" label="New password again" kind="password" autocomplete="new-password" value={again} />
                <label class="check">
                    <input id="sign-out-others" type="checkbox" checked={*sign_out_others} onchange={on_toggle} />
                    { " Sign out my other devices" }
                </label>
                <Outcome phase={submit.phase()} />
                <button type="submit" disabled={submit.busy()}>
                    { if submit.busy() { "Changing…" } else { "Change password" } }
                </button>
            </form>
        </section>
    }
}

/// Deleting the account and every task, behind the password.
#[component]
fn DeleteAccount() -> Html {
    let auth = use_auth();
    let toasts = use_toasts();
    let navigator = use_navigator();
    let open = use_state(|| false);
    let password = use_state(String::new);
    let submit = use_submit();
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let onsubmit = {
        let (auth, password, submit) = (auth.clone(), password.clone(), submit.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if password.is_empty() {
                submit.fail("Please enter your password to confirm.");
                return;
            }
            let (auth, toasts, navigator, password) =
                (auth.clone(), toasts.clone(), navigator.clone(), (*password).clone());
            submit.run(async move {
                api::account::delete_account(&password).await.map_err(|e| account_error(&auth, &e))?;
                auth.forget();
                toasts.info("Your account and all its tasks were deleted.");
                if let Some(nav) = navigator {
                    nav.push(&Route::Signup);
                }
                Ok("Deleted.".into())
            });
        })
    };
    html! {
        <section class="card danger-zone" aria-labelledby="delete-title">
            <h2 id="delete-title">{ "Delete account" }</h2>
            <p class="muted">{ "This deletes your account and all your tasks, on every device. It cannot be undone." }</p>
            if *open {
                <form {onsubmit} novalidate=true>
                    <Field id="delete-password" label="Your password, to confirm" kind="password"
                        autocomplete="current-password" value={password} />
                    <Outcome phase={submit.phase()} />
                    <div class="actions">
                        <button type="submit" class="danger-button" disabled={submit.busy()}>
                            { if submit.busy() { "Deleting…" } else { "Delete my account and tasks" } }
                        </button>
                        <button type="button" class="secondary" onclick={toggle}>{ "Cancel" }</button>
                    </div>
                </form>
            } else {
                <button type="button" class="secondary danger-outline" onclick={toggle}>{ "Delete my account…" }</button>
            }
        </section>
    }
}
