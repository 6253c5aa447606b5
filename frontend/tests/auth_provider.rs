//! The auth context resolves the session from `get-session` at start.

use frontend::auth::context::{use_auth, AuthProvider, Session};
use wasm_bindgen_test::*;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

#[component]
fn ShowSession() -> Html {
    let auth = use_auth();
    let text = match auth.session() {
        Session::Loading => "loading",
        Session::SignedOut => "signed-out",
        Session::SignedIn(_) => "signed-in",
    };
    html! { <p id="session">{ text }</p> }
}

#[component]
fn Harness() -> Html {
    html! { <AuthProvider><ShowSession /></AuthProvider> }
}

#[wasm_bindgen_test]
async fn a_null_session_means_signed_out() {
    js_sys::Function::new_no_args(
        "window.fetch = () => Promise.resolve(new Response('null', { status: 200, headers: { 'content-type': 'application/json' } }));",
    )
    .call0(&wasm_bindgen::JsValue::NULL)
    .unwrap();
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<Harness>::with_root(root.clone()).render();

    let mut text = String::new();
    for _ in 0..50 {
        gloo_timers::future::TimeoutFuture::new(20).await;
        text = root.text_content().unwrap_or_default();
        if text != "loading" {
            break;
        }
    }
    assert_eq!(text, "signed-out");
}
