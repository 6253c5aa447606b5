//! One module per route (`home`, `login`, `signup`, `tasks`, `not_found`),
//! what sign-in and sign-up share (`auth_form`), and the footer's API status
//! panel. Pages render; hooks act. This file only declares the modules.

pub(crate) mod auth_form;
pub(crate) mod home;
pub(crate) mod login;
pub(crate) mod not_found;
pub(crate) mod server_status_panel;
pub(crate) mod signup;
pub(crate) mod tasks;
