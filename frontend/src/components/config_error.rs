//! The full-page message for a bad build-time configuration.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub(crate) struct ConfigErrorProps {
    pub(crate) message: String,
}

/// Full-page explanation of a bad build-time configuration.
#[component]
pub(crate) fn ConfigError(props: &ConfigErrorProps) -> Html {
    html! {
        <main class="app-main" role="alert">
            <h1>{ "This build of the app is misconfigured" }</h1>
            <p>{ &props.message }</p>
            <p>{ "Rebuild with a valid API_URL / AUTH_URL (see README, Configuration)." }</p>
        </main>
    }
}
