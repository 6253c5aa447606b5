//! Components rendered in headless Chromium (wasm-bindgen-test).

use std::cell::Cell;
use std::rc::Rc;

use frontend::components::{ServerStatus, StatusView};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh element in the document to render into.
fn mount_point() -> web_sys::Element {
    let document = gloo_utils_document();
    let div = document.create_element("div").expect("create div");
    document.body().expect("body").append_child(&div).expect("append");
    div
}

fn gloo_utils_document() -> web_sys::Document {
    web_sys::window().expect("window").document().expect("document")
}

/// Waits (bounded, 2 s) until `done()` holds; rendering may take a few ticks.
async fn eventually(done: impl Fn() -> bool) {
    for _ in 0..100 {
        if done() {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(20).await;
    }
}

#[derive(Properties, PartialEq)]
struct Harness {
    status: StatusView,
    retries: Rc<Cell<u32>>,
}

#[component]
fn StatusHarness(props: &Harness) -> Html {
    let retries = props.retries.clone();
    let onretry = Callback::from(move |()| retries.set(retries.get() + 1));
    html! { <ServerStatus status={props.status.clone()} {onretry} /> }
}

#[wasm_bindgen_test]
async fn server_status_shows_a_healthy_api() {
    let root = mount_point();
    let retries = Rc::new(Cell::new(0));
    yew::Renderer::<StatusHarness>::with_root_and_props(
        root.clone(),
        Harness { status: StatusView::Up("ok".into()), retries },
    )
    .render();
    eventually(|| root.text_content().unwrap_or_default().contains("API")).await;

    let text = root.text_content().unwrap_or_default();
    assert!(text.contains("API: ok"), "rendered: {text}");
    assert!(root.query_selector("button").unwrap().is_none(), "no Retry when healthy");
    let p = root.query_selector("[data-testid=server-status]").unwrap().expect("status element");
    assert_eq!(p.get_attribute("aria-live").as_deref(), Some("polite"));
}

#[wasm_bindgen_test]
async fn server_status_offers_retry_when_down() {
    let root = mount_point();
    let retries = Rc::new(Cell::new(0));
    yew::Renderer::<StatusHarness>::with_root_and_props(
        root.clone(),
        Harness { status: StatusView::Down("Cannot reach the server".into()), retries: retries.clone() },
    )
    .render();
    eventually(|| root.query_selector("button").ok().flatten().is_some()).await;

    assert!(root.text_content().unwrap_or_default().contains("API unreachable"));
    let button: web_sys::HtmlElement =
        root.query_selector("button").unwrap().expect("Retry button").dyn_into().unwrap();
    button.click();
    assert_eq!(retries.get(), 1, "Retry calls back");
}

// ---- toasts -------------------------------------------------------------------

use frontend::toast::{use_toasts, ToastProvider};

#[component]
fn ToastButton() -> Html {
    let toasts = use_toasts();
    let onclick = Callback::from(move |_: MouseEvent| toasts.error("You don't have permission to do that"));
    html! { <button id="push" {onclick}>{ "push" }</button> }
}

#[component]
fn ToastHarness() -> Html {
    html! { <ToastProvider><ToastButton /></ToastProvider> }
}

fn click(root: &web_sys::Element, selector: &str) {
    let el: web_sys::HtmlElement = root.query_selector(selector).unwrap().expect(selector).dyn_into().unwrap();
    el.click();
}

#[wasm_bindgen_test]
async fn toasts_are_announced_stack_and_dismiss() {
    let root = mount_point();
    yew::Renderer::<ToastHarness>::with_root(root.clone()).render();
    eventually(|| root.query_selector("#push").ok().flatten().is_some()).await;

    click(&root, "#push");
    click(&root, "#push");
    eventually(|| root.query_selector_all(".toast").map(|l| l.length()).unwrap_or(0) == 2).await;
    let region = root.query_selector("[data-testid=toasts]").unwrap().expect("toast region");
    assert_eq!(region.get_attribute("aria-live").as_deref(), Some("polite"));
    assert_eq!(root.query_selector_all(".toast").unwrap().length(), 2, "stacked: {}", root.inner_html());
    let first = root.query_selector(".toast").unwrap().unwrap();
    assert_eq!(first.get_attribute("role").as_deref(), Some("alert"), "errors are assertive");
    assert!(first.text_content().unwrap().contains("permission"));

    click(&root, ".toast .toast-close");
    eventually(|| root.query_selector_all(".toast").map(|l| l.length()).unwrap_or(0) == 1).await;
    assert_eq!(root.query_selector_all(".toast").unwrap().length(), 1, "dismissed by its button");
}

// ---- the request function through real fetch (window.fetch stubbed) ----------

use frontend::api::ux::{ux_for, Ux};
use frontend::api::{request, ApiError};
use gloo_net::http::Method;

/// Replaces `window.fetch` with a stub answering `status` (or failing like
/// an offline network when `status` is 0) and recording what was sent.
fn stub_fetch(status: u16) {
    let install = js_sys::Function::new_with_args(
        "status",
        "window.__sent = [];
         window.fetch = (input, init) => {
           const req = input instanceof Request ? input : new Request(input, init);
           window.__sent.push({ url: req.url, auth: req.headers.get('Authorization') });
           if (status === 0) return Promise.reject(new TypeError('Failed to fetch'));
           const body = status === 204 ? null : JSON.stringify({ message: 'stubbed ' + status, code: 'STUB' });
           return Promise.resolve(new Response(body, { status, headers: { 'content-type': 'application/json' } }));
         };",
    );
    install.call1(&wasm_bindgen::JsValue::NULL, &wasm_bindgen::JsValue::from(status)).expect("stub installed");
}

fn sent_authorization() -> Option<String> {
    let sent = js_sys::Reflect::get(&web_sys::window().unwrap(), &"__sent".into()).unwrap();
    let first = js_sys::Reflect::get(&sent, &0.into()).unwrap();
    js_sys::Reflect::get(&first, &"auth".into()).unwrap().as_string()
}

#[wasm_bindgen_test]
async fn the_request_function_sends_the_bearer_token_and_maps_statuses() {
    for (status, expected) in [(401, Ux::SessionExpired), (403, Ux::Forbidden), (404, Ux::NotFound)] {
        stub_fetch(status);
        let err = request::<serde_json::Value>(Method::GET, "/api/u/tasks/1", Some("tok-123"), None)
            .await
            .err()
            .expect("an error");
        assert_eq!(sent_authorization().as_deref(), Some("Bearer tok-123"));
        assert_eq!(err.status(), Some(status));
        assert_eq!(err.code(), Some("STUB"), "the server's {{message, code}} is kept");
        assert_eq!(ux_for(&err), expected);
    }

    stub_fetch(0);
    let err = request::<serde_json::Value>(Method::GET, "/api/u/tasks", Some("t"), None).await.err().unwrap();
    assert!(matches!(err, ApiError::Network(_)), "{err:?}");
    assert!(matches!(ux_for(&err), Ux::Retry(_)));

    stub_fetch(204);
    let ok = request::<()>(Method::DELETE, "/api/u/tasks/1", Some("t"), None).await;
    assert!(ok.is_ok(), "an empty 204 body decodes");
}
