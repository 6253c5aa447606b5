use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ConfigErrorProps {
    pub message: String,
}

/// Full-page explanation of a bad build-time configuration.
#[component]
pub fn ConfigError(props: &ConfigErrorProps) -> Html {
    html! {
        <main class="app-main" role="alert">
            <h1>{ "This build of the app is misconfigured" }</h1>
            <p>{ &props.message }</p>
            <p>{ "Rebuild with a valid API_URL / AUTH_URL (see README, Configuration)." }</p>
        </main>
    }
}
