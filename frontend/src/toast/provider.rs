//! The toast context (`use_toasts()` → `ToastHandle`) and the announced,
//! stacked region that shows the toasts.

use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use yew::prelude::*;

use crate::toast::state::{Hold, Toast, ToastAction, Toasts};

/// How long a toast stays, in milliseconds.
const TOAST_MS: u32 = 5000;

/// Pushes and dismisses toasts.
#[derive(Clone)]
pub struct ToastHandle {
    dispatch: UseReducerDispatcher<Toasts>,
    next_id: Rc<Cell<u32>>,
}

impl PartialEq for ToastHandle {
    fn eq(&self, other: &Self) -> bool {
        self.dispatch == other.dispatch
    }
}

impl ToastHandle {
    /// Shows an error for `TOAST_MS` (longer while hovered or focused).
    pub fn error(&self, message: impl Into<String>) {
        self.push(message.into(), true);
    }

    /// Shows news (not an error) for as long.
    pub fn info(&self, message: impl Into<String>) {
        self.push(message.into(), false);
    }

    fn push(&self, message: String, error: bool) {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        self.dispatch.dispatch(ToastAction::Push(Toast { id, message, error, expired: false }));
        let dispatch = self.dispatch.clone();
        Timeout::new(TOAST_MS, move || dispatch.dispatch(ToastAction::Expire(id))).forget();
    }

    fn dismiss(&self, id: u32) {
        self.dispatch.dispatch(ToastAction::Dismiss(id));
    }
}

#[derive(Properties, PartialEq)]
pub struct ToastProviderProps {
    pub children: Html,
}

/// Provides `ToastHandle` and renders the toasts above everything else.
#[component]
pub fn ToastProvider(props: &ToastProviderProps) -> Html {
    let toasts = use_reducer(Toasts::default);
    let next_id = use_memo((), |_| Rc::new(Cell::new(1u32)));
    let handle = ToastHandle { dispatch: toasts.dispatcher(), next_id: (*next_id).clone() };
    let items = toasts.items.iter().map(|t| {
        let ondismiss = {
            let handle = handle.clone();
            let id = t.id;
            Callback::from(move |_: MouseEvent| handle.dismiss(id))
        };
        html! {
            <div key={t.id} class={classes!("toast", if t.error { "toast-error" } else { "toast-info" })}
                role={if t.error { "alert" } else { "status" }}>
                <span>{ &t.message }</span>
                <button type="button" class="toast-close" aria-label="Dismiss" onclick={ondismiss}>{ "×" }</button>
            </div>
        }
    });
    let hold = |by: Hold, on: bool| {
        let dispatch = toasts.dispatcher();
        move || dispatch.dispatch(ToastAction::Hold(by, on))
    };
    let (enter, leave) = (hold(Hold::Pointer, true), hold(Hold::Pointer, false));
    let (focus_in, focus_out) = (hold(Hold::Focus, true), hold(Hold::Focus, false));
    html! {
        <ContextProvider<ToastHandle> context={handle.clone()}>
            { props.children.clone() }
            // Hovering or focusing the toasts (e.g. tabbing to a close
            // button) pauses their expiry.
            <div class="toasts" aria-live="polite" data-testid="toasts"
                onmouseenter={Callback::from(move |_: MouseEvent| enter())}
                onmouseleave={Callback::from(move |_: MouseEvent| leave())}
                onfocusin={Callback::from(move |_: FocusEvent| focus_in())}
                onfocusout={Callback::from(move |_: FocusEvent| focus_out())}>
                { for items }
            </div>
        </ContextProvider<ToastHandle>>
    }
}

/// The toast context; panics outside `ToastProvider` (a programming error).
#[hook]
pub fn use_toasts() -> ToastHandle {
    use_context::<ToastHandle>().expect("use_toasts() inside <ToastProvider>")
}
