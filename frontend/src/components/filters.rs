use shared::task::StatusFilter;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FiltersProps {
    pub current: StatusFilter,
    pub all: usize,
    pub active: usize,
    pub completed: usize,
    pub onchange: Callback<StatusFilter>,
}

/// All / Active / Completed, with counts.
#[component]
pub fn Filters(props: &FiltersProps) -> Html {
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
