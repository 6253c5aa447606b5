//! Reading form fields.

/// The value of an `<input>` from its event.
pub(crate) fn input_value(e: &yew::InputEvent) -> String {
    use wasm_bindgen::JsCast;
    e.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()).map(|i| i.value()).unwrap_or_default()
}
