//! The small "Live" / "Reconnecting…" indicator of `/tasks`.

use yew::prelude::*;

use crate::live::LiveStatus;

#[derive(Properties, PartialEq)]
pub(crate) struct LiveBadgeProps {
    pub(crate) status: LiveStatus,
}

#[component]
pub(crate) fn LiveBadge(props: &LiveBadgeProps) -> Html {
    let class = match props.status {
        LiveStatus::Live => "live live-on",
        LiveStatus::Connecting | LiveStatus::Reconnecting => "live live-off",
    };
    let title = match props.status {
        LiveStatus::Live => "Changes made on your other devices appear here as they happen",
        LiveStatus::Connecting | LiveStatus::Reconnecting => "Changes made elsewhere appear once reconnected",
    };
    html! {
        <span {class} {title} role="status" aria-live="polite" data-testid="live">{ props.status.label() }</span>
    }
}
