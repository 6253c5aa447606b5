//! The All / Active / Completed filter buttons with counts.

use shared::task::StatusFilter;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub(crate) struct FiltersProps {
    pub(crate) current: StatusFilter,
    pub(crate) all: usize,
    pub(crate) active: usize,
    pub(crate) completed: usize,
    pub(crate) onchange: Callback<StatusFilter>,
}

/// All / Active / Completed, with counts.
#[component]
pub(crate) fn Filters(props: &FiltersProps) -> Html {
    let button = |filter: StatusFilter, label: &str, count: usize| {
        let onchange = props.onchange.clone();
        let pressed = props.current == filter;
        html! {
            <button type="button" class={if pressed { "filter active" } else { "filter" }} aria-pressed={pressed.to_string()}
                onclick={Callback::from(move |_: MouseEvent| onchange.emit(filter))}>
                { format!("{label} ({count})") }
            </button>
        }
    };
    html! {
        <div class="filters" role="group" aria-label="Show">
            { button(StatusFilter::All, "All", props.all) }
            { button(StatusFilter::Pending, "Active", props.active) }
            { button(StatusFilter::Completed, "Completed", props.completed) }
        </div>
    }
}
