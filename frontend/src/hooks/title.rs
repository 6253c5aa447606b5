//! `use_title`: the page's `<title>`.

use yew::prelude::*;

/// Sets the page `<title>` while a page is shown.
#[hook]
pub(crate) fn use_title(title: &'static str) {
    use_effect_with(title, |title| {
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            doc.set_title(&format!("{title} · Todo"));
        }
    });
}
