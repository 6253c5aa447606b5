//! The Yew SPA. Module ownership (one line each) is in `frontend/ARCHITECTURE.md`;
//! in short: `app` is the root, `pages` render, `hooks` act, `api` is the
//! transport, `ux` decides what a failure means to the user.
//!
//! Modules are `pub(crate)` (so the compiler reports dead code) except what
//! the browser tests in `frontend/tests/` mount: `auth::context`,
//! `components::server_status`, `toast::provider`.

mod api;
mod app;
pub mod auth;
pub mod components;
mod config;
mod hooks;
mod live;
mod pages;
mod routes;
mod task_list;
pub mod toast;
mod ux;

// Unit tests of pure logic run in the same headless-browser suite as the
// component tests (`cargo xtask test`), so the SPA is compiled only for wasm.
#[cfg(test)]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Mounts the whole app on `<body>` (`index.html`).
pub fn start() {
    yew::Renderer::<app::App>::new().render();
}

/// Mounts the sign-in bundle on `<body>` (`signin.html`: the signed-out
/// pages only; see `shared::pages`).
pub fn start_sign_in() {
    yew::Renderer::<app::SignInApp>::new().render();
}
