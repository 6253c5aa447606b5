//! One task row: toggle, inline edit (Enter saves, Esc cancels), delete.

use shared::limits::{DESCRIPTION_MAX_CHARS, TITLE_MAX_CHARS};
use shared::Task;
use yew::prelude::*;

use crate::components::input::input_value;

#[derive(Properties, PartialEq)]
pub(crate) struct TaskItemProps {
    pub(crate) task: Task,
    pub(crate) ontoggle: Callback<Task>,
    pub(crate) ondelete: Callback<Task>,
    /// The task as edited (new title and details).
    pub(crate) onsave: Callback<(Task, Task)>,
}

/// One task: checkbox, title and details (double-click or Edit to edit both
/// inline: Enter saves, Esc cancels), delete.
#[component]
pub(crate) fn TaskItem(props: &TaskItemProps) -> Html {
    let editing = use_state(|| false);
    let draft = use_state(String::new);
    let draft_details = use_state(String::new);
    let task = props.task.clone();

    let start_edit = {
        let (editing, draft, draft_details, task) =
            (editing.clone(), draft.clone(), draft_details.clone(), task.clone());
        Callback::from(move |_: MouseEvent| {
            draft.set(task.title.clone());
            draft_details.set(task.description.clone());
            editing.set(true);
        })
    };
    let onkeydown = {
        let (editing, draft, draft_details, onsave, task) =
            (editing.clone(), draft.clone(), draft_details.clone(), props.onsave.clone(), task.clone());
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "Enter" => {
                e.prevent_default();
                let title = draft.trim().to_owned();
                if title.is_empty() {
                    return; // a task needs a title: stay in the editor
                }
                editing.set(false);
                let description = draft_details.trim().to_owned();
                if title != task.title || description != task.description {
                    onsave.emit((task.clone(), Task { title, description, ..task.clone() }));
                }
            }
            "Escape" => editing.set(false),
            _ => {}
        })
    };
    let oninput = {
        let draft = draft.clone();
        Callback::from(move |e: InputEvent| draft.set(input_value(&e)))
    };
    let ondetails = {
        let d = draft_details.clone();
        Callback::from(move |e: InputEvent| d.set(input_value(&e)))
    };
    let ontoggle = {
        let (cb, task) = (props.ontoggle.clone(), task.clone());
        Callback::from(move |_: Event| cb.emit(task.clone()))
    };
    let ondelete = {
        let (cb, task) = (props.ondelete.clone(), task.clone());
        Callback::from(move |_: MouseEvent| cb.emit(task.clone()))
    };
    let checkbox_id = format!("task-{}", task.id);
    let class = if task.completed { "task done" } else { "task" };

    html! {
        <li class={class} data-testid="task">
            <input id={checkbox_id.clone()} type="checkbox" checked={task.completed} onchange={ontoggle}
                aria-label={format!("Mark \"{}\" {}", task.title, if task.completed { "not done" } else { "done" })} />
            if *editing {
                <div class="edit-fields">
                    <input class="edit" type="text" value={(*draft).clone()} {oninput} onkeydown={onkeydown.clone()}
                        aria-label="Edit title (Enter saves, Escape cancels)" maxlength={TITLE_MAX_CHARS.to_string()} autofocus=true />
                    <input class="edit-details" type="text" value={(*draft_details).clone()} oninput={ondetails} {onkeydown}
                        placeholder="Details (optional)" aria-label="Edit details (Enter saves, Escape cancels)"
                        maxlength={DESCRIPTION_MAX_CHARS.to_string()} />
                    <small class="edit-hint muted" aria-hidden="true">{ "Enter saves · Esc cancels" }</small>
                </div>
            } else {
                <label class="title" for={checkbox_id} ondblclick={start_edit.clone()}>
                    { &task.title }
                    if !task.description.is_empty() {
                        <span class="details">{ &task.description }</span>
                    }
                </label>
                <button type="button" class="ghost" onclick={start_edit} aria-label={format!("Edit \"{}\"", task.title)}>{ "Edit" }</button>
            }
            <button type="button" class="ghost danger" onclick={ondelete} aria-label={format!("Delete \"{}\"", task.title)}>{ "Delete" }</button>
        </li>
    }
}
