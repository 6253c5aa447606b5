//! Toasts: the list and its expiry rules (`state`, a pure reducer) and the
//! context to push them from anywhere plus the stacked, auto-dismissing,
//! screen-reader-announced region that shows them (`provider`). This file
//! only declares the modules.

pub mod provider;
pub(crate) mod state;
