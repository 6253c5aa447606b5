//! The toasts on screen and when they go: pure, so it tests without a
//! browser.

use std::rc::Rc;

use yew::Reducible;

/// One message on screen: an error (a refused change, a session that ended)
/// or news that outlives the page it happened on ("Password changed — sign
/// in"). Successes on the page itself show in place.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Toast {
    pub(crate) id: u32,
    pub(crate) message: String,
    /// An error (announced at once) rather than news.
    pub(crate) error: bool,
    /// Its time is up, but the pointer or keyboard focus is on the toasts:
    /// it goes when they leave.
    pub(crate) expired: bool,
}

#[derive(Default, PartialEq)]
pub(crate) struct Toasts {
    pub(crate) items: Vec<Toast>,
    /// The pointer is on the toasts: expired ones stay.
    hovered: bool,
    /// Keyboard focus is in the toasts (e.g. on a close button): same.
    focused: bool,
}

impl Toasts {
    fn paused(&self) -> bool {
        self.hovered || self.focused
    }
}

/// What holds the toasts on screen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Hold {
    Pointer,
    Focus,
}

pub(crate) enum ToastAction {
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

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn toast(id: u32) -> Toast {
        Toast { id, message: format!("t{id}"), error: true, expired: false }
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

    #[test]
    fn dismissing_removes_only_that_toast() {
        let t = Rc::new(Toasts::default()).reduce(ToastAction::Push(toast(1))).reduce(ToastAction::Push(toast(2)));
        let t = t.reduce(ToastAction::Dismiss(1));
        assert_eq!(t.items.iter().map(|t| t.id).collect::<Vec<_>>(), [2]);
    }
}
