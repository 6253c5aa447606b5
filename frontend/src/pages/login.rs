use yew::prelude::*;

/// `/login`. The form is wired to the auth server in the SPA issue.
#[component]
pub fn Login() -> Html {
    html! {
        <section class="card">
            <h1>{ "Sign in" }</h1>
            <p class="muted">{ "Signing in is not available in this build yet." }</p>
        </section>
    }
}
