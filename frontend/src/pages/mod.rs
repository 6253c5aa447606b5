//! One module per route, plus the status panel that loads `/api/health`.

mod auth_form;
mod home;
mod login;
mod not_found;
mod server_status_panel;
mod signup;
mod tasks;

pub use home::Home;
pub use login::Login;
pub use not_found::NotFound;
pub use server_status_panel::ServerStatusPanel;
pub use signup::Signup;
pub use tasks::{TaskAction, TaskList, Tasks};
