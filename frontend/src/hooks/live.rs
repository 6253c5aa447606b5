//! `use_live_updates()`: while `/tasks` is shown, changes made on the user's
//! other devices and tabs appear here without a reload. One tab of the
//! browser holds the stream (`hooks::tabs`) and reconnects it with backoff
//! and a fresh token; every tab applies the events to its list by task id.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use gloo_timers::future::TimeoutFuture;
use wasm_bindgen_futures::spawn_local;
use web_sys::AbortController;
use yew::prelude::*;

use crate::api::error::ApiError;
use crate::api::events::{self, Announced};
use crate::api::sse::SseEvent;
use crate::hooks::tabs::Tabs;
use crate::hooks::task_actions::UseTaskActionsHandle;
use crate::live::{backoff_ms, LiveStatus, Relay};
use crate::ux::Ux;

/// No byte for this long (the server sends a heartbeat every 15 s): the
/// connection is dead without having said so (a sleeping laptop, a lost
/// Wi-Fi); drop it and reconnect.
const SILENCE_MS: u32 = 45_000;

/// A stream open this long was healthy: its end (the token's expiry) is not
/// a failure, and the next attempt starts the backoff afresh.
const HEALTHY_MS: f64 = 10_000.0;

/// What the stream loop and the relay share; `stopped` once `/tasks` is left.
struct Live {
    tasks: UseTaskActionsHandle,
    status: UseStateHandle<LiveStatus>,
    /// The status now (the state handle reads the value it was made with).
    current: Cell<LiveStatus>,
    tabs: RefCell<Option<Tabs>>,
    /// Whether this tab holds the stream.
    holder: Cell<bool>,
    stopped: Cell<bool>,
    /// Aborts the open request or stream.
    abort: RefCell<Option<AbortController>>,
}

impl Live {
    fn set_status(&self, status: LiveStatus) {
        self.current.set(status);
        self.status.set(status);
        self.relay(&Relay::Status(status));
    }

    fn relay(&self, relay: &Relay) {
        if let Some(tabs) = &*self.tabs.borrow() {
            tabs.send(relay);
        }
    }

    fn apply(&self, event: &SseEvent) {
        if let Some(announced) = Announced::parse(event) {
            self.tasks.apply(announced);
        }
    }

    /// What another tab sent.
    fn heard(&self, relay: Relay) {
        match relay {
            Relay::Event(event) => self.apply(&event),
            Relay::Status(status) => {
                self.current.set(status);
                self.status.set(status);
            }
            Relay::Hello if self.holder.get() => self.relay(&Relay::Status(self.current.get())),
            Relay::Hello => {}
        }
    }

    fn stop(&self) {
        self.stopped.set(true);
        if let Some(controller) = self.abort.borrow_mut().take() {
            controller.abort();
        }
        self.tabs.borrow_mut().take();
    }

    /// Holds the stream until stopped: connect, read, and after an end or a
    /// failure connect again (at once after a healthy stream, else after a
    /// growing wait), each time with the version last seen.
    async fn hold(self: Rc<Self>) {
        self.holder.set(true);
        let mut failures = 0;
        while !self.stopped.get() {
            let Ok(controller) = AbortController::new() else { return };
            *self.abort.borrow_mut() = Some(controller.clone());
            let since = self.tasks.version();
            let signal = controller.signal();
            // Connecting counts as silence too (a connect that hangs after a
            // laptop wakes up).
            let connecting = watchdog(&controller);
            // What a refusal's `Retry-After` asked for (`Ux` does not carry it).
            let retry_after = Rc::new(Cell::new(None));
            let opened = self
                .tasks
                .api()
                .run(|uid, token| {
                    let (signal, retry_after) = (signal.clone(), retry_after.clone());
                    async move {
                        let opened = events::connect(&uid, &token, since, &signal).await;
                        retry_after.set(opened.as_ref().err().and_then(ApiError::retry_after));
                        opened
                    }
                })
                .await;
            drop(connecting);
            match opened {
                Ok(stream) => {
                    let began = js_sys::Date::now();
                    self.set_status(LiveStatus::Live);
                    let heard = self.read(stream, &controller).await;
                    // Healthy: open a while and heard from (a heartbeat at least).
                    let healthy = heard && js_sys::Date::now() - began >= HEALTHY_MS;
                    failures = if healthy { 0 } else { failures + 1 };
                }
                // `use_api` has shown these (and for a 401 left the page):
                // no stream for this page; the indicator says so.
                Err(Ux::SessionExpired | Ux::Forbidden | Ux::NotFound) => {
                    self.set_status(LiveStatus::Reconnecting);
                    return;
                }
                Err(Ux::Inline(_)) => failures += 1,
            }
            if self.stopped.get() {
                return;
            }
            if failures > 0 {
                self.set_status(LiveStatus::Reconnecting);
                TimeoutFuture::new(backoff_ms(failures, retry_after.get(), js_sys::Math::random())).await;
            }
        }
    }

    /// Reads `stream` to its end (or until silent for too long), relaying
    /// and applying each event; whether any byte came.
    async fn read(&self, mut stream: events::EventStream, controller: &AbortController) -> bool {
        let mut heard = false;
        loop {
            let silence = watchdog(controller);
            let chunk = stream.next().await;
            drop(silence);
            let Ok(Some(received)) = chunk else { return heard };
            heard = true;
            for event in &received {
                self.relay(&Relay::Event(event.clone()));
                self.apply(event);
            }
        }
    }
}

/// Aborts `controller`'s request unless dropped within `SILENCE_MS`.
fn watchdog(controller: &AbortController) -> Timeout {
    let controller = controller.clone();
    Timeout::new(SILENCE_MS, move || controller.abort())
}

/// Starts once the first page of the list is in (its version is where the
/// stream resumes) and stops when the list is left.
#[hook]
pub(crate) fn use_live_updates(tasks: &UseTaskActionsHandle) -> LiveStatus {
    let status = use_state(|| LiveStatus::Connecting);
    let ready = tasks.version().is_some();
    let user_id = tasks.api().user_id();
    {
        let (tasks, status) = (tasks.clone(), status.clone());
        use_effect_with((ready, user_id), move |(ready, user_id)| {
            let live = Rc::new(Live {
                tasks,
                current: Cell::new(*status),
                status,
                tabs: RefCell::default(),
                holder: Cell::new(false),
                stopped: Cell::new(false),
                abort: RefCell::default(),
            });
            if let (true, Some(user_id)) = (*ready, user_id) {
                let heard = {
                    let live = Rc::downgrade(&live);
                    move |relay| {
                        if let Some(live) = live.upgrade() {
                            live.heard(relay);
                        }
                    }
                };
                let lead = {
                    let live = Rc::downgrade(&live);
                    move || {
                        if let Some(live) = live.upgrade() {
                            spawn_local(live.hold());
                        }
                    }
                };
                let tabs = Tabs::join(user_id, heard, lead);
                tabs.send(&Relay::Hello);
                live.tabs.replace(Some(tabs));
            }
            move || live.stop()
        });
    }
    *status
}
