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
    /// Its time is up, but the pointer or keyboard focus is on the toasts:
    /// it goes when they leave.
    pub expired: bool,
}

#[derive(Default, PartialEq)]
pub struct Toasts {
    pub items: Vec<Toast>,
    /// The pointer is on the toasts: expired ones stay.
    pub hovered: bool,
    /// Keyboard focus is in the toasts (e.g. on a close button): same.
    pub focused: bool,
}

impl Toasts {
    pub fn paused(&self) -> bool {
        self.hovered || self.focused
    }
}

/// What holds the toasts on screen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Hold {
    Pointer,
    Focus,
}

pub enum ToastAction {
    Push(Toast),
    /// Closed by the user.
    Dismiss(u32),
    /// Its time ran out.
    Expire(u32),
    /// The pointer or focus came (`true`) or left (`false`).
    Hold(Hold, bool),
}

impl Reducible for Toasts {
    type Action = ToastAction;

    fn reduce(self: Rc<Self>, action: ToastAction) -> Rc<Self> {
        let mut next = Toasts { items: self.items.clone(), hovered: self.hovered, focused: self.focused };
        match action {
            ToastAction::Push(toast) => next.items.push(toast),
            ToastAction::Dismiss(id) => next.items.retain(|t| t.id != id),
            ToastAction::Expire(id) if self.paused() => {
                if let Some(t) = next.items.iter_mut().find(|t| t.id == id) {
                    t.expired = true;
                }
            }
            ToastAction::Expire(id) => next.items.retain(|t| t.id != id),
            ToastAction::Hold(by, on) => {
                match by {
                    Hold::Pointer => next.hovered = on,
                    Hold::Focus => next.focused = on,
                }
                if !next.paused() {
                    next.items.retain(|t| !t.expired);
                }
            }
        }
        Rc::new(next)
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
        self.dispatch.dispatch(ToastAction::Push(Toast { id, kind, message: message.into(), expired: false }));
        let dispatch = self.dispatch.clone();
        Timeout::new(TOAST_MS, move || dispatch.dispatch(ToastAction::Expire(id))).forget();
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

#[hook]
pub fn use_toasts() -> ToastHandle {
    use_context::<ToastHandle>().expect("use_toasts() inside <ToastProvider>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn toast(id: u32) -> Toast {
        Toast { id, kind: ToastKind::Info, message: format!("t{id}"), expired: false }
    }

    #[test]
    fn expiry_waits_while_the_toasts_are_hovered_or_focused() {
        let t = Rc::new(Toasts::default()).reduce(ToastAction::Push(toast(1))).reduce(ToastAction::Push(toast(2)));
        let t = t.reduce(ToastAction::Hold(Hold::Pointer, true)).reduce(ToastAction::Hold(Hold::Focus, true));
        let t = t.reduce(ToastAction::Expire(1));
        assert_eq!(t.items.len(), 2, "held while paused");
        let t = t.reduce(ToastAction::Hold(Hold::Pointer, false));
        assert_eq!(t.items.len(), 2, "still held: focus is on a toast");
        let t = t.reduce(ToastAction::Hold(Hold::Focus, false));
        assert_eq!(t.items.iter().map(|t| t.id).collect::<Vec<_>>(), [2], "goes when released");
        let t = t.reduce(ToastAction::Expire(2));
        assert!(t.items.is_empty());
    }
}
