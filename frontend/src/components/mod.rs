//! Presentational pieces: they render props and never call HTTP. This file
//! only declares the modules.

pub(crate) mod config_error;
pub(crate) mod field;
pub(crate) mod filters;
pub(crate) mod input;
pub(crate) mod live_badge;
pub mod server_status;
pub(crate) mod task_item;
