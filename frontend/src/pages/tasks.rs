use yew::prelude::*;

/// `/tasks`. The task manager lands with the task API and the SPA issues.
#[component]
pub fn Tasks() -> Html {
    html! {
        <section class="card">
            <h1>{ "Your tasks" }</h1>
            <p class="muted">{ "The task list is not available in this build yet." }</p>
        </section>
    }
}
