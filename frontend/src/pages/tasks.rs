//! `/tasks`: the task manager (protected). Every change shows at once and is
//! rolled back with a toast if the server refuses it.

use std::rc::Rc;

use shared::task::{PatchTask, StatusFilter};
use shared::Task;
use yew::prelude::*;

use crate::api::hook::{use_api, ApiHandle};
use crate::api::{tasks as task_api, ApiError};
use crate::auth::{use_auth, Session};
use crate::components::{input_value, Filters, TaskItem};
use crate::router::use_navigator;
use crate::routes::{use_title, Route};
use crate::toast::use_toasts;

const PAGE: usize = 100;
const FILTER_KEY: &str = "todo.filter";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The filter chosen last time on this browser, if any. (Builds that used
/// gloo-storage stored it JSON-quoted, `"pending"`; those still read.)
fn stored_filter() -> Option<StatusFilter> {
    let stored = storage()?.get_item(FILTER_KEY).ok()??;
    StatusFilter::parse(stored.trim_matches('"'))
}

fn remember_filter(filter: &str) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(FILTER_KEY, filter);
    }
}

/// The loaded tasks, newest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TaskList {
    pub tasks: Vec<Task>,
    /// How many the server has in all (more may be loaded with "Load more").
    pub total: usize,
    pub loading: bool,
    pub error: Option<String>,
}

pub enum TaskAction {
    Loading,
    Loaded {
        tasks: Vec<Task>,
        total: usize,
        append: bool,
    },
    Failed(String),
    /// Insert at the top, or replace the task with the same id.
    Upsert(Task),
    /// Replace the task with id `.0` (a placeholder) by `.1`.
    Swap(i64, Task),
    Remove(i64),
}

impl Reducible for TaskList {
    type Action = TaskAction;

    fn reduce(self: Rc<Self>, action: TaskAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            TaskAction::Loading => {
                next.loading = true;
                next.error = None;
            }
            TaskAction::Loaded { tasks, total, append } => {
                if append {
                    next.tasks.extend(tasks.into_iter().filter(|t| !self.tasks.iter().any(|o| o.id == t.id)));
                } else {
                    next.tasks = tasks;
                }
                next.total = total;
                next.loading = false;
            }
            TaskAction::Failed(message) => {
                next.loading = false;
                next.error = Some(message);
            }
            TaskAction::Upsert(task) => match next.tasks.iter_mut().find(|t| t.id == task.id) {
                Some(existing) => *existing = task,
                None => {
                    next.tasks.insert(0, task);
                    next.total += 1;
                }
            },
            TaskAction::Swap(placeholder, task) => {
                if let Some(existing) = next.tasks.iter_mut().find(|t| t.id == placeholder) {
                    *existing = task;
                }
            }
            TaskAction::Remove(id) => {
                let before = next.tasks.len();
                next.tasks.retain(|t| t.id != id);
                next.total = next.total.saturating_sub(before - next.tasks.len());
            }
        }
        Rc::new(next)
    }
}

impl TaskList {
    pub fn shown(&self, filter: StatusFilter) -> Vec<Task> {
        self.tasks
            .iter()
            .filter(|t| match filter {
                StatusFilter::All => true,
                StatusFilter::Pending => !t.completed,
                StatusFilter::Completed => t.completed,
            })
            .cloned()
            .collect()
    }
}

/// Protected: signed-out visitors go to `/login?redirect=/tasks`.
#[component]
pub fn Tasks() -> Html {
    use_title("Your tasks");
    let auth = use_auth();
    let navigator = use_navigator();
    let signed_out = matches!(auth.session(), Session::SignedOut);
    use_effect_with(signed_out, move |signed_out| {
        if *signed_out {
            if let Some(nav) = navigator {
                let _ = nav.replace_with_query(&Route::Login, &[("redirect", "/tasks")]);
            }
        }
    });
    match auth.session() {
        Session::SignedIn(_) => html! { <TaskManager /> },
        _ => html! { <p class="muted" aria-busy="true">{ "Loading…" }</p> },
    }
}

fn load(api: ApiHandle, list: UseReducerDispatcher<TaskList>, offset: usize) {
    list.dispatch(TaskAction::Loading);
    wasm_bindgen_futures::spawn_local(async move {
        match api.run(|uid, token| async move { task_api::list(&uid, &token, offset, PAGE).await }).await {
            Ok((tasks, total)) => list.dispatch(TaskAction::Loaded { tasks, total, append: offset > 0 }),
            Err(e) => list.dispatch(TaskAction::Failed(e.to_string())),
        }
    });
}

/// A refused change: put back `previous` (unless the task is gone), say why.
fn roll_back(
    list: &UseReducerDispatcher<TaskList>,
    toasts: &crate::toast::ToastHandle,
    previous: Option<Task>,
    id: i64,
    e: &ApiError,
) {
    match e.status() {
        Some(404) => list.dispatch(TaskAction::Remove(id)),
        Some(401 | 403) => {
            if let Some(task) = previous {
                list.dispatch(TaskAction::Upsert(task));
            }
        }
        _ => {
            if let Some(task) = previous {
                list.dispatch(TaskAction::Upsert(task));
            }
            toasts.error(format!("Not saved: {e}"));
        }
    }
}

#[component]
fn TaskManager() -> Html {
    let api = use_api();
    let toasts = use_toasts();
    let list = use_reducer(TaskList::default);
    let filter = use_state(|| stored_filter().unwrap_or(StatusFilter::All));
    let title = use_state(String::new);
    let details = use_state(String::new);
    let add_error = use_state(|| None::<String>);
    let next_placeholder = use_mut_ref(|| -1i64);

    {
        let (api, list) = (api.clone(), list.dispatcher());
        use_effect_with((), move |_| load(api, list, 0));
    }

    let onadd = {
        let (api, list, title, details, add_error, toasts, next_placeholder) = (
            api.clone(),
            list.dispatcher(),
            title.clone(),
            details.clone(),
            add_error.clone(),
            toasts.clone(),
            next_placeholder.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let text = title.trim().to_owned();
            if text.is_empty() {
                add_error.set(Some("Type a title first.".into()));
                return;
            }
            add_error.set(None);
            let description = details.trim().to_owned();
            let placeholder_id = {
                let mut next = next_placeholder.borrow_mut();
                *next -= 1;
                *next
            };
            let placeholder = Task {
                id: placeholder_id,
                user_id: api.user_id().unwrap_or_default(),
                title: text.clone(),
                description: description.clone(),
                completed: false,
                created_at: String::new(),
                updated_at: String::new(),
            };
            list.dispatch(TaskAction::Upsert(placeholder));
            title.set(String::new());
            details.set(String::new());
            let (api, list, title, details, add_error, toasts) =
                (api.clone(), list.clone(), title.clone(), details.clone(), add_error.clone(), toasts.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let (typed, typed_details) = (text.clone(), description.clone());
                let call = |uid: String, token: String| {
                    let (text, description) = (text.clone(), description.clone());
                    async move {
                        let description = (!description.is_empty()).then_some(description.as_str());
                        task_api::create(&uid, &token, &text, description).await
                    }
                };
                match api.run(call).await {
                    Ok(task) => list.dispatch(TaskAction::Swap(placeholder_id, task)),
                    Err(e) => {
                        list.dispatch(TaskAction::Remove(placeholder_id));
                        // Nothing typed is lost: the title goes back into the box.
                        title.set(typed);
                        details.set(typed_details);
                        if e.status().is_none_or(|s| s != 401 && s != 403) {
                            add_error.set(Some(format!("Not added: {e}")));
                            toasts.error(format!("Not added: {e}"));
                        }
                    }
                }
            });
        })
    };

    let ontoggle = {
        let (api, list, toasts) = (api.clone(), list.dispatcher(), toasts.clone());
        Callback::from(move |task: Task| {
            let mut flipped = task.clone();
            flipped.completed = !task.completed;
            list.dispatch(TaskAction::Upsert(flipped));
            let (api, list, toasts) = (api.clone(), list.clone(), toasts.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.run(|uid, token| async move { task_api::toggle(&uid, &token, task.id).await }).await {
                    Ok(saved) => list.dispatch(TaskAction::Upsert(saved)),
                    Err(e) => roll_back(&list, &toasts, Some(task.clone()), task.id, &e),
                }
            });
        })
    };

    let ondelete = {
        let (api, list, toasts) = (api.clone(), list.dispatcher(), toasts.clone());
        Callback::from(move |task: Task| {
            list.dispatch(TaskAction::Remove(task.id));
            let (api, list, toasts) = (api.clone(), list.clone(), toasts.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = api.run(|uid, token| async move { task_api::delete(&uid, &token, task.id).await }).await
                {
                    roll_back(&list, &toasts, Some(task.clone()), task.id, &e);
                }
            });
        })
    };

    let onsave = {
        let (api, list, toasts) = (api.clone(), list.dispatcher(), toasts.clone());
        Callback::from(move |(task, edited): (Task, Task)| {
            list.dispatch(TaskAction::Upsert(edited.clone()));
            let (api, list, toasts) = (api.clone(), list.clone(), toasts.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let patch = PatchTask {
                    title: (edited.title != task.title).then(|| edited.title.clone()),
                    description: (edited.description != task.description).then(|| edited.description.clone()),
                    ..Default::default()
                };
                match api
                    .run(|uid, token| {
                        let patch = patch.clone();
                        async move { task_api::update(&uid, &token, task.id, &patch).await }
                    })
                    .await
                {
                    Ok(saved) => list.dispatch(TaskAction::Upsert(saved)),
                    Err(e) => roll_back(&list, &toasts, Some(task.clone()), task.id, &e),
                }
            });
        })
    };

    let onfilter = {
        let filter = filter.clone();
        Callback::from(move |f: StatusFilter| {
            remember_filter(f.as_str());
            filter.set(f);
        })
    };
    let onclear = {
        let (list_state, ondelete) = (list.clone(), ondelete.clone());
        Callback::from(move |_: MouseEvent| {
            for task in list_state.tasks.iter().filter(|t| t.completed) {
                ondelete.emit(task.clone());
            }
        })
    };
    let onretry = {
        let (api, list) = (api.clone(), list.dispatcher());
        Callback::from(move |_: MouseEvent| load(api.clone(), list.clone(), 0))
    };
    let onmore = {
        let (api, list_state) = (api.clone(), list.clone());
        Callback::from(move |_: MouseEvent| load(api.clone(), list_state.dispatcher(), list_state.tasks.len()))
    };
    let oninput = {
        let title = title.clone();
        Callback::from(move |e: InputEvent| title.set(input_value(&e)))
    };
    let ondetails = {
        let details = details.clone();
        Callback::from(move |e: InputEvent| details.set(input_value(&e)))
    };

    let completed = list.tasks.iter().filter(|t| t.completed).count();
    let active = list.tasks.len() - completed;
    let shown = list.shown(*filter);
    let first_load = list.loading && list.tasks.is_empty();

    html! {
        <section class="card">
            <h1>{ "Your tasks" }</h1>
            <form class="add" onsubmit={onadd}>
                <label for="new-task" class="visually-hidden">{ "New task (Enter adds it)" }</label>
                <input id="new-task" type="text" placeholder="What needs doing?" maxlength="200"
                    value={(*title).clone()} {oninput} aria-describedby="add-error" />
                <button type="submit">{ "Add" }</button>
                <label for="new-task-details" class="visually-hidden">{ "Details (optional)" }</label>
                <input id="new-task-details" class="details" type="text" placeholder="Details (optional)" maxlength="2000"
                    value={(*details).clone()} oninput={ondetails} />
            </form>
            if let Some(message) = &*add_error {
                <p id="add-error" class="form-error" role="alert">{ message }</p>
            }
            <Filters current={*filter} all={list.tasks.len()} {active} {completed} onchange={onfilter} />
            if let Some(message) = &list.error {
                <div class="load-error" role="alert">
                    <span>{ format!("Could not load your tasks: {message}") }</span>
                    <button type="button" onclick={onretry}>{ "Retry" }</button>
                </div>
            }
            if first_load {
                <p class="muted" aria-busy="true">{ "Loading your tasks…" }</p>
            } else if shown.is_empty() && list.error.is_none() {
                <p class="empty muted">{ match *filter {
                    StatusFilter::All => "Nothing to do yet. Add your first task above.",
                    StatusFilter::Pending => "No active tasks. Nice work!",
                    StatusFilter::Completed => "No completed tasks yet.",
                } }</p>
            } else {
                <ul class="tasks">
                    { for shown.into_iter().map(|task| html! {
                        <TaskItem key={task.id.to_string()} task={task.clone()} ontoggle={ontoggle.clone()} ondelete={ondelete.clone()} onsave={onsave.clone()} />
                    }) }
                </ul>
            }
            <div class="list-footer">
                if list.tasks.len() < list.total {
                    <button type="button" class="secondary" onclick={onmore} disabled={list.loading}>
                        { format!("Load more ({} of {})", list.tasks.len(), list.total) }
                    </button>
                }
                if completed > 0 {
                    <button type="button" class="ghost" onclick={onclear}>{ "Clear completed" }</button>
                }
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn task(id: i64, completed: bool) -> Task {
        Task {
            id,
            user_id: "u".into(),
            title: format!("t{id}"),
            description: String::new(),
            completed,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn optimistic_changes_and_their_rollback_keep_counts_right() {
        let list = Rc::new(TaskList::default());
        let list =
            list.reduce(TaskAction::Loaded { tasks: vec![task(2, false), task(1, true)], total: 2, append: false });
        let list = list.reduce(TaskAction::Upsert(task(-1, false)));
        assert_eq!((list.tasks[0].id, list.total), (-1, 3), "placeholder on top");
        let list = list.reduce(TaskAction::Swap(-1, task(3, false)));
        assert_eq!(list.tasks[0].id, 3);
        let list = list.reduce(TaskAction::Remove(1));
        assert_eq!((list.tasks.len(), list.total), (2, 2));
        let list = list.reduce(TaskAction::Upsert(task(1, true)));
        assert_eq!(list.shown(StatusFilter::Completed).len(), 1, "rollback restores it");
        assert_eq!(list.shown(StatusFilter::Pending).len(), 2);
    }
}
