//! The API health badge (what `pages::server_status_panel` loaded).

use yew::prelude::*;

/// What is known about the API's health.
#[derive(Clone, PartialEq, Debug)]
pub enum StatusView {
    Checking,
    Up(String),
    Down(String),
}

#[derive(Properties, PartialEq)]
pub struct ServerStatusProps {
    pub status: StatusView,
    pub onretry: Callback<()>,
}

/// A small live badge: "API: ok", or the error with a Retry button.
#[component]
pub fn ServerStatus(props: &ServerStatusProps) -> Html {
    let onclick = props.onretry.reform(|_: MouseEvent| ());
    let (class, text, retry) = match &props.status {
        StatusView::Checking => ("status status-checking", "API: checking…".to_owned(), false),
        StatusView::Up(s) => ("status status-up", format!("API: {s}"), false),
        StatusView::Down(e) => ("status status-down", format!("API unreachable: {e}"), true),
    };
    html! {
        <p class={class} role="status" aria-live="polite" data-testid="server-status">
            <span>{ text }</span>
            if retry {
                <button type="button" {onclick}>{ "Retry" }</button>
            }
        </p>
    }
}
