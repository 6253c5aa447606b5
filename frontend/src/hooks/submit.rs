//! `use_submit()`: one form's round trip — busy while it runs, then the
//! outcome in plain words next to the form. A second submit while busy is
//! ignored.

use std::future::Future;

use yew::prelude::*;

/// Where a form is.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Phase {
    Idle,
    Busy,
    /// What went wrong, for the user.
    Failed(String),
    /// What happened, for the user.
    Done(String),
}

#[derive(Clone, PartialEq)]
pub(crate) struct Submit(UseStateHandle<Phase>);

impl Submit {
    pub(crate) fn phase(&self) -> Phase {
        (*self.0).clone()
    }

    pub(crate) fn busy(&self) -> bool {
        *self.0 == Phase::Busy
    }

    /// Refuses before sending (a check the page makes itself).
    pub(crate) fn fail(&self, message: impl Into<String>) {
        self.0.set(Phase::Failed(message.into()));
    }

    /// Runs `work` unless a run is under way: `Ok` is what happened, `Err`
    /// what went wrong.
    pub(crate) fn run(&self, work: impl Future<Output = Result<String, String>> + 'static) {
        if self.busy() {
            return;
        }
        self.0.set(Phase::Busy);
        let phase = self.0.clone();
        wasm_bindgen_futures::spawn_local(async move {
            phase.set(match work.await {
                Ok(done) => Phase::Done(done),
                Err(failed) => Phase::Failed(failed),
            });
        });
    }
}

#[hook]
pub(crate) fn use_submit() -> Submit {
    Submit(use_state(|| Phase::Idle))
}
