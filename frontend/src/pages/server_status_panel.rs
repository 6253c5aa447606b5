//! The footer's API status: loads `/api/health` (so it is not a presentational component).

use yew::prelude::*;

use crate::api::health::health;
use crate::components::server_status::{ServerStatus, StatusView};

/// Loads `/api/health` through the API client and shows it; Retry reloads.
#[component]
pub(crate) fn ServerStatusPanel() -> Html {
    let status = use_state(|| StatusView::Checking);
    let attempt = use_state(|| 0u32);
    {
        let status = status.clone();
        use_effect_with(*attempt, move |_| {
            status.set(StatusView::Checking);
            wasm_bindgen_futures::spawn_local(async move {
                status.set(match health().await {
                    Ok(h) => StatusView::Up(h.status),
                    Err(e) => StatusView::Down(e.to_string()),
                });
            });
        });
    }
    let onretry = {
        let attempt = attempt.clone();
        Callback::from(move |()| attempt.set(*attempt + 1))
    };
    html! { <ServerStatus status={(*status).clone()} {onretry} /> }
}
