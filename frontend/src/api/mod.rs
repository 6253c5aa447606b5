//! Transport only: the one request function (`request`), its error type
//! (`error`), the browser-side JSON decoder (`json`) and thin typed calls per
//! resource (`auth`, `account`, `tasks`, `health`), and the live-updates
//! stream (`events`, framed by `sse`). What a failure means to the user is
//! decided above this layer (`crate::ux`, `crate::hooks::api`).
//!
//! This file only declares the modules: nothing here is used by a child, so
//! no child points back at its parent.

pub(crate) mod account;
pub(crate) mod auth;
pub(crate) mod error;
pub(crate) mod events;
pub(crate) mod health;
pub(crate) mod json;
pub(crate) mod request;
pub(crate) mod sse;
pub(crate) mod tasks;
