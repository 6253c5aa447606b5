//! The Yew SPA: providers + router (`app`), the one request function and the
//! `use_api()` hook (`api`), the auth context (`auth`), toasts (`toast`),
//! pages per route, presentational components.

pub mod api;
pub mod app;
pub mod auth;
pub mod components;
pub mod config;
pub mod pages;
pub mod router;
pub mod routes;
pub mod toast;

// Unit tests of pure logic run in the same headless-browser suite as the
// component tests (`cargo xtask test`), so the SPA is compiled only for wasm.
#[cfg(test)]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Mounts the app on `<body>`.
pub fn start() {
    yew::Renderer::<app::App>::new().render();
}
