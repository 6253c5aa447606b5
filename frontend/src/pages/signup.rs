use yew::prelude::*;

/// `/signup`. The form is wired to the auth server in the SPA issue.
#[component]
pub fn Signup() -> Html {
    html! {
        <section class="card">
            <h1>{ "Create an account" }</h1>
            <p class="muted">{ "Sign-up is not available in this build yet." }</p>
        </section>
    }
}
