use shared::Task;
use yew::prelude::*;

use super::input_value;

#[derive(Properties, PartialEq)]
pub struct TaskItemProps {
    pub task: Task,
    pub ontoggle: Callback<Task>,
    pub ondelete: Callback<Task>,
    /// New title for the task.
    pub onsave: Callback<(Task, String)>,
}

/// One task: checkbox, title (double-click or Edit to edit inline: Enter
/// saves, Esc cancels), delete.
#[component]
pub fn TaskItem(props: &TaskItemProps) -> Html {
    let editing = use_state(|| false);
    let draft = use_state(String::new);
    let task = props.task.clone();

    let start_edit = {
        let (editing, draft, title) = (editing.clone(), draft.clone(), task.title.clone());
        Callback::from(move |_: MouseEvent| {
            draft.set(title.clone());
            editing.set(true);
        })
    };
    let onkeydown = {
        let (editing, draft, onsave, task) = (editing.clone(), draft.clone(), props.onsave.clone(), task.clone());
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "Enter" => {
                editing.set(false);
                let title = draft.trim().to_owned();
                if !title.is_empty() && title != task.title {
                    onsave.emit((task.clone(), title));
                }
            }
            "Escape" => editing.set(false),
            _ => {}
        })
    };
    let oninput = { let draft = draft.clone(); Callback::from(move |e: InputEvent| draft.set(input_value(&e))) };
    let ontoggle = { let (cb, task) = (props.ontoggle.clone(), task.clone()); Callback::from(move |_: Event| cb.emit(task.clone())) };
    let ondelete = { let (cb, task) = (props.ondelete.clone(), task.clone()); Callback::from(move |_: MouseEvent| cb.emit(task.clone())) };
    let checkbox_id = format!("task-{}", task.id);
    let class = if task.completed { "task done" } else { "task" };

    html! {
        <li class={class} data-testid="task">
            <input id={checkbox_id.clone()} type="checkbox" checked={task.completed} onchange={ontoggle}
                aria-label={format!("Mark \"{}\" {}", task.title, if task.completed { "not done" } else { "done" })} />
            if *editing {
                <input class="edit" type="text" value={(*draft).clone()} {oninput} {onkeydown}
                    aria-label="Edit title (Enter saves, Escape cancels)" maxlength="200" autofocus=true />
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
