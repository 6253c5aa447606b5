//! A labelled input bound to a state, and a form's outcome line.

use yew::prelude::*;

use crate::components::input::input_value;
use crate::hooks::submit::Phase;

#[derive(Properties, PartialEq)]
pub(crate) struct FieldProps {
    pub id: AttrValue,
    pub label: AttrValue,
    /// The input's `type`.
    #[prop_or(AttrValue::Static("text"))]
    pub kind: AttrValue,
    pub autocomplete: AttrValue,
    pub value: UseStateHandle<String>,
    /// A rule shown under the input (and read with it).
    #[prop_or_default]
    pub hint: Option<AttrValue>,
}

/// `<label>` + `<input>` (+ hint), the input's text kept in `value`.
#[component]
pub(crate) fn Field(props: &FieldProps) -> Html {
    let oninput = {
        let value = props.value.clone();
        Callback::from(move |e: InputEvent| value.set(input_value(&e)))
    };
    let hint_id = props.hint.as_ref().map(|_| format!("{}-hint", props.id));
    html! {
        <>
            <label for={&props.id}>{ &props.label }</label>
            <input id={&props.id} type={&props.kind} autocomplete={&props.autocomplete} required=true
                aria-describedby={hint_id.clone()} value={(*props.value).clone()} {oninput} />
            if let Some(hint) = &props.hint {
                <p id={hint_id} class="hint">{ hint }</p>
            }
        </>
    }
}

#[derive(Properties, PartialEq)]
pub(crate) struct OutcomeProps {
    pub phase: Phase,
}

/// The error (announced) or the confirmation of a form, in plain words.
#[component]
pub(crate) fn Outcome(props: &OutcomeProps) -> Html {
    match &props.phase {
        Phase::Failed(message) => html! { <p class="form-error" role="alert">{ message }</p> },
        Phase::Done(message) => html! { <p class="form-ok" role="status">{ message }</p> },
        Phase::Idle | Phase::Busy => html! {},
    }
}
