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

/// Lets Yew's scheduler run (rendering is asynchronous).
async fn settle() {
    gloo_timers::future::TimeoutFuture::new(0).await;
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
    settle().await;

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
    settle().await;

    assert!(root.text_content().unwrap_or_default().contains("API unreachable"));
    let button: web_sys::HtmlElement =
        root.query_selector("button").unwrap().expect("Retry button").dyn_into().unwrap();
    button.click();
    assert_eq!(retries.get(), 1, "Retry calls back");
}
