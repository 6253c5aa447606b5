//! `use_remembered_filter`: the task filter, kept in this browser's
//! `localStorage` through gloo-storage (not a secret: nothing of the session
//! is stored).

use gloo_storage::{LocalStorage, Storage};
use shared::task::StatusFilter;
use yew::prelude::*;

const FILTER_KEY: &str = "todo.filter";

/// Whether there is a `localStorage` to use: gloo-storage panics without
/// one, and a browser that blocks site data throws on mere access.
fn available() -> bool {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten()).is_some()
}

/// A stored value: JSON-quoted `"pending"` as gloo-storage writes it (this
/// build and the ones that used it before), or bare `pending` as the builds
/// in between wrote it.
fn parse_stored(stored: &str) -> Option<StatusFilter> {
    StatusFilter::parse(stored.trim_matches('"'))
}

/// The filter chosen last time on this browser, if any.
fn stored_filter() -> Option<StatusFilter> {
    let stored = LocalStorage::raw().get_item(FILTER_KEY).ok()??;
    parse_stored(&stored)
}

fn remember_filter(filter: StatusFilter) {
    if available() {
        let _ = LocalStorage::set(FILTER_KEY, filter.as_str());
    }
}

/// The current filter (the remembered one at first, else All) and a
/// callback that changes and remembers it.
#[hook]
pub(crate) fn use_remembered_filter() -> (StatusFilter, Callback<StatusFilter>) {
    let filter = use_state(|| available().then(stored_filter).flatten().unwrap_or(StatusFilter::All));
    let onchange = {
        let filter = filter.clone();
        Callback::from(move |f: StatusFilter| {
            remember_filter(f);
            filter.set(f);
        })
    };
    (*filter, onchange)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn reads_what_this_and_older_builds_stored() {
        assert_eq!(parse_stored("\"completed\""), Some(StatusFilter::Completed), "gloo-storage's JSON");
        assert_eq!(parse_stored("pending"), Some(StatusFilter::Pending), "the bare value of the builds between");
        assert_eq!(parse_stored("all"), Some(StatusFilter::All));
        assert_eq!(parse_stored("bogus"), None);
    }

    #[test]
    fn a_remembered_filter_reads_back_under_the_same_key() {
        remember_filter(StatusFilter::Completed);
        assert_eq!(LocalStorage::raw().get_item(FILTER_KEY).ok().flatten().as_deref(), Some("\"completed\""));
        assert_eq!(stored_filter(), Some(StatusFilter::Completed));

        LocalStorage::raw().set_item(FILTER_KEY, "pending").unwrap();
        assert_eq!(stored_filter(), Some(StatusFilter::Pending), "an older bare value");
        LocalStorage::delete(FILTER_KEY);
        assert_eq!(stored_filter(), None);
    }
}
