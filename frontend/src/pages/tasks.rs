//! `/tasks`: the task manager (protected). It renders; `use_task_actions`
//! does the work (loading, optimistic changes and their roll-back).

use shared::limits::{DESCRIPTION_MAX_CHARS, TITLE_MAX_CHARS};
use shared::task::StatusFilter;
use shared::Task;
use yew::prelude::*;

use crate::components::filters::Filters;
use crate::components::input::input_value;
use crate::components::live_badge::LiveBadge;
use crate::components::task_item::TaskItem;
use crate::hooks::filter::use_remembered_filter;
use crate::hooks::live::use_live_updates;
use crate::hooks::redirect::use_signed_in_user;
use crate::hooks::task_actions::{use_task_actions, NotAdded};
use crate::hooks::title::use_title;
use crate::routes::Route;

/// Protected: signed-out visitors go to `/login?redirect=/tasks`.
#[component]
pub(crate) fn Tasks() -> Html {
    use_title("Your tasks");
    match use_signed_in_user(Route::Tasks) {
        Some(_) => html! { <TaskManager /> },
        None => html! { <p class="muted" aria-busy="true">{ "Loading…" }</p> },
    }
}

#[component]
fn TaskManager() -> Html {
    let tasks = use_task_actions();
    let live = use_live_updates(&tasks);
    let (filter, onfilter) = use_remembered_filter();
    let title = use_state(String::new);
    let details = use_state(String::new);
    let add_error = use_state(|| None::<String>);

    let onadd = {
        let (tasks, title, details, add_error) = (tasks.clone(), title.clone(), details.clone(), add_error.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let text = title.trim().to_owned();
            if text.is_empty() {
                add_error.set(Some("Type a title first.".into()));
                return;
            }
            let description = details.trim().to_owned();
            add_error.set(None);
            title.set(String::new());
            details.set(String::new());
            // Nothing typed is lost: a refused task goes back into the form.
            let onrefused = {
                let (title, details, add_error) = (title.clone(), details.clone(), add_error.clone());
                Callback::from(move |refused: NotAdded| {
                    title.set(refused.title);
                    details.set(refused.description);
                    add_error.set(refused.message);
                })
            };
            tasks.add(text, description, onrefused);
        })
    };
    let ontoggle = {
        let tasks = tasks.clone();
        Callback::from(move |task: Task| tasks.toggle(task))
    };
    let ondelete = {
        let tasks = tasks.clone();
        Callback::from(move |task: Task| tasks.delete(task))
    };
    let onsave = {
        let tasks = tasks.clone();
        Callback::from(move |(task, edited): (Task, Task)| tasks.save(task, edited))
    };
    let onclear = {
        let tasks = tasks.clone();
        Callback::from(move |_: MouseEvent| tasks.clear_completed())
    };
    let onretry = {
        let tasks = tasks.clone();
        Callback::from(move |_: MouseEvent| tasks.load(0))
    };
    let onmore = {
        let tasks = tasks.clone();
        Callback::from(move |_: MouseEvent| tasks.load_more())
    };
    let oninput = {
        let title = title.clone();
        Callback::from(move |e: InputEvent| title.set(input_value(&e)))
    };
    let ondetails = {
        let details = details.clone();
        Callback::from(move |e: InputEvent| details.set(input_value(&e)))
    };

    let completed = tasks.completed();
    let active = tasks.tasks.len() - completed;
    let mut shown = tasks.shown(filter).peekable();
    let first_load = tasks.loading && tasks.tasks.is_empty();

    html! {
        <section class="card">
            <div class="card-title">
                <h1>{ "Your tasks" }</h1>
                <LiveBadge status={live} />
            </div>
            <form class="add" onsubmit={onadd}>
                <label for="new-task" class="visually-hidden">{ "New task (Enter adds it)" }</label>
                <input id="new-task" type="text" placeholder="What needs doing?" maxlength={TITLE_MAX_CHARS.to_string()}
                    value={(*title).clone()} {oninput} aria-describedby="add-error" />
                <button type="submit">{ "Add" }</button>
                <label for="new-task-details" class="visually-hidden">{ "Details (optional)" }</label>
                <input id="new-task-details" class="details" type="text" placeholder="Details (optional)"
                    maxlength={DESCRIPTION_MAX_CHARS.to_string()} value={(*details).clone()} oninput={ondetails} />
            </form>
            if let Some(message) = &*add_error {
                <p id="add-error" class="form-error" role="alert">{ message }</p>
            }
            <Filters current={filter} all={tasks.tasks.len()} {active} {completed} onchange={onfilter} />
            if let Some(reason) = &tasks.load_error {
                <div class="load-error" role="alert">
                    <span>{ match reason {
                        Some(message) => format!("Could not load your tasks: {message}"),
                        None => "Could not load your tasks.".to_owned(),
                    } }</span>
                    <button type="button" onclick={onretry}>{ "Retry" }</button>
                </div>
            }
            if first_load {
                <p class="muted" aria-busy="true">{ "Loading your tasks…" }</p>
            } else if shown.peek().is_none() && tasks.load_error.is_none() {
                <p class="empty muted">{ match filter {
                    StatusFilter::All => "Nothing to do yet. Add your first task above.",
                    StatusFilter::Pending => "No active tasks. Nice work!",
                    StatusFilter::Completed => "No completed tasks yet.",
                } }</p>
            } else {
                <ul class="tasks">
                    { for shown.map(|task| html! {
                        <TaskItem key={task.id.to_string()} task={task.clone()} ontoggle={ontoggle.clone()}
                            ondelete={ondelete.clone()} onsave={onsave.clone()} />
                    }) }
                </ul>
            }
            <div class="list-footer">
                if tasks.tasks.len() < tasks.total {
                    <button type="button" class="secondary" onclick={onmore} disabled={tasks.loading}>
                        { format!("Load more ({} of {})", tasks.tasks.len(), tasks.total) }
                    </button>
                }
                if completed > 0 {
                    <button type="button" class="ghost" onclick={onclear}>{ "Clear completed" }</button>
                }
            </div>
        </section>
    }
}
