//! One module per route (`home`, `login`, `signup`, `tasks`,
//! `forgot_password`, `reset_password`, `account` with its `devices`,
//! `not_found`), what the auth forms share (`auth_form`), the footer's API
//! status panel and the unverified-email banner. Pages render; hooks act. This file only declares the modules.

pub(crate) mod account;
pub(crate) mod auth_form;
pub(crate) mod devices;
pub(crate) mod forgot_password;
pub(crate) mod home;
pub(crate) mod login;
pub(crate) mod not_found;
pub(crate) mod reset_password;
pub(crate) mod server_status_panel;
pub(crate) mod signup;
pub(crate) mod tasks;
pub(crate) mod verify_banner;
