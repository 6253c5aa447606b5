//! Presentational pieces: they render props and never call HTTP.

mod config_error;
mod filters;
mod server_status;
mod task_item;

pub use config_error::ConfigError;
pub use filters::Filters;
pub use server_status::{ServerStatus, StatusView};
pub use task_item::TaskItem;

/// The value of an `<input>` from its event.
pub fn input_value(e: &yew::InputEvent) -> String {
    use wasm_bindgen::JsCast;
    e.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()).map(|i| i.value()).unwrap_or_default()
}
