//! Presentational pieces: they render props and never call HTTP.

mod config_error;
mod filters;
mod server_status;
mod task_item;

pub use config_error::ConfigError;
pub use filters::Filters;
pub use server_status::{ServerStatus, StatusView};
pub use task_item::TaskItem;
