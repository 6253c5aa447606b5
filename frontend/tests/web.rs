//! Components rendered in headless Chromium (wasm-bindgen-test).

use std::cell::Cell;
use std::rc::Rc;

use frontend::components::server_status::{ServerStatus, StatusView};
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

use frontend::toast::provider::{use_toasts, ToastProvider};

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
