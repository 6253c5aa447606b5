//! One live stream per browser, not per tab (HTTP/1.1 allows six connections
//! per host): the tabs of one user elect a holder with the Web Locks API, the
//! holder relays what it receives over a `BroadcastChannel`, and when it
//! closes (or leaves `/tasks`) the lock passes to another tab.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, BroadcastChannel, MessageEvent};

use crate::live::Relay;

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks.request(name, options, callback)`: bound here
    /// because web-sys has it only behind `--cfg=web_sys_unstable_apis`.
    #[wasm_bindgen(catch, js_namespace = ["navigator", "locks"], js_name = request)]
    fn request_lock(name: &str, options: &Object, callback: &Function) -> Result<Promise, JsValue>;
}

/// This tab's membership; leaving (drop) releases the lock or withdraws
/// the request for it.
pub(crate) struct Tabs {
    channel: Option<BroadcastChannel>,
    _onmessage: Option<Closure<dyn FnMut(MessageEvent)>>,
    /// Aborts a lock request still waiting.
    waiting: Option<AbortController>,
    /// Resolving it ends the lock callback's promise: the lock is released.
    release: Rc<RefCell<Option<Function>>>,
    _granted: Option<Closure<dyn FnMut(JsValue) -> Promise>>,
}

impl Tabs {
    /// Joins the tabs streaming `user_id`'s events: `on_relay` gets what the
    /// other tabs send; `on_lead` runs once this tab is to hold the stream —
    /// at once in a browser without Web Locks or BroadcastChannel.
    pub(crate) fn join(user_id: &str, on_relay: impl Fn(Relay) + 'static, on_lead: impl FnOnce() + 'static) -> Tabs {
        let name = format!("todo-live:{user_id}");
        let channel = BroadcastChannel::new(&name).ok();
        let onmessage = channel.as_ref().map(|channel| {
            let closure = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                if let Some(relay) = e.data().as_string().as_deref().and_then(Relay::decode) {
                    on_relay(relay);
                }
            });
            channel.set_onmessage(Some(closure.as_ref().unchecked_ref()));
            closure
        });
        let mut tabs = Tabs { channel, _onmessage: onmessage, waiting: None, release: Rc::default(), _granted: None };
        let on_lead = Rc::new(RefCell::new(Some(on_lead)));
        let lead = move || {
            if let Some(f) = on_lead.borrow_mut().take() {
                f();
            }
        };
        if tabs.channel.is_none() || !tabs.request_lock(&name, lead.clone()) {
            lead();
        }
        tabs
    }

    /// Asks for the lock; `false` if the browser has no Web Locks.
    fn request_lock(&mut self, name: &str, lead: impl Fn() + 'static) -> bool {
        let Ok(controller) = AbortController::new() else { return false };
        let options = Object::new();
        if Reflect::set(&options, &"signal".into(), &controller.signal()).is_err() {
            return false;
        }
        let release = self.release.clone();
        let granted = Closure::<dyn FnMut(JsValue) -> Promise>::new(move |_lock: JsValue| {
            lead();
            // Held until `release` is called (on drop) or the tab closes.
            Promise::new(&mut |resolve, _| *release.borrow_mut() = Some(resolve))
        });
        match request_lock(name, &options, granted.as_ref().unchecked_ref()) {
            Ok(settled) => {
                // Settles when released, or rejects when withdrawn: awaited so
                // neither is reported as an unhandled rejection.
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = JsFuture::from(settled).await;
                });
                self.waiting = Some(controller);
                self._granted = Some(granted);
                true
            }
            Err(_) => false,
        }
    }

    /// Sends `relay` to the user's other tabs.
    pub(crate) fn send(&self, relay: &Relay) {
        if let Some(channel) = &self.channel {
            let _ = channel.post_message(&JsValue::from_str(&relay.encode()));
        }
    }
}

impl Drop for Tabs {
    fn drop(&mut self) {
        if let Some(controller) = &self.waiting {
            controller.abort();
        }
        if let Some(resolve) = self.release.borrow_mut().take() {
            let _ = resolve.call0(&JsValue::NULL);
        }
        if let Some(channel) = &self.channel {
            channel.set_onmessage(None);
            channel.close();
        }
    }
}
