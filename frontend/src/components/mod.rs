//! Presentational pieces: they render props and never call HTTP.

mod config_error;
mod server_status;

pub use config_error::ConfigError;
pub use server_status::{ServerStatus, StatusView};
