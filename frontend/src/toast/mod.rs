//! Toasts: a context to push messages from anywhere, and the stacked,
//! auto-dismissing, screen-reader-announced list that shows them.

use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use yew::prelude::*;

/// How long a toast stays, in milliseconds.
pub const TOAST_MS: u32 = 5000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToastKind {
    Info,
    Error,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Toast {
    pub id: u32,
    pub kind: ToastKind,
    pub message: String,
}

#[derive(Default, PartialEq)]
pub struct Toasts {
    pub items: Vec<Toast>,
}

pub enum ToastAction {
    Push(Toast),
    Dismiss(u32),
}

impl Reducible for Toasts {
    type Action = ToastAction;

    fn reduce(self: Rc<Self>, action: ToastAction) -> Rc<Self> {
        let mut items = self.items.clone();
        match action {
            ToastAction::Push(toast) => items.push(toast),
            ToastAction::Dismiss(id) => items.retain(|t| t.id != id),
        }
        Rc::new(Toasts { items })
    }
}

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
    pub fn push(&self, kind: ToastKind, message: impl Into<String>) {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        self.dispatch.dispatch(ToastAction::Push(Toast { id, kind, message: message.into() }));
        let dispatch = self.dispatch.clone();
        Timeout::new(TOAST_MS, move || dispatch.dispatch(ToastAction::Dismiss(id))).forget();
    }

    pub fn info(&self, message: impl Into<String>) {
        self.push(ToastKind::Info, message);
    }

    pub fn error(&self, message: impl Into<String>) {
        self.push(ToastKind::Error, message);
    }

    pub fn dismiss(&self, id: u32) {
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
        let (class, role) = match t.kind {
            ToastKind::Info => ("toast toast-info", "status"),
            ToastKind::Error => ("toast toast-error", "alert"),
        };
        html! {
            <div key={t.id} class={class} role={role}>
                <span>{ &t.message }</span>
                <button type="button" class="toast-close" aria-label="Dismiss" onclick={ondismiss}>{ "×" }</button>
            </div>
        }
    });
    html! {
        <ContextProvider<ToastHandle> context={handle.clone()}>
            { props.children.clone() }
            <div class="toasts" aria-live="polite" data-testid="toasts">{ for items }</div>
        </ContextProvider<ToastHandle>>
    }
}

#[hook]
pub fn use_toasts() -> ToastHandle {
    use_context::<ToastHandle>().expect("use_toasts() inside <ToastProvider>")
}
