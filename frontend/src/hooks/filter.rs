//! `use_remembered_filter`: the task filter, kept in this browser's
//! `localStorage` (not a secret: nothing else of the session is stored).

use shared::task::StatusFilter;
use yew::prelude::*;

const FILTER_KEY: &str = "todo.filter";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// A stored value: `pending` as this build writes it, or JSON-quoted
/// `"pending"` as builds that used gloo-storage did.
fn parse_stored(stored: &str) -> Option<StatusFilter> {
    StatusFilter::parse(stored.trim_matches('"'))
}

/// The filter chosen last time on this browser, if any.
fn stored_filter() -> Option<StatusFilter> {
    parse_stored(&storage()?.get_item(FILTER_KEY).ok()??)
}

fn remember_filter(filter: StatusFilter) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(FILTER_KEY, filter.as_str());
    }
}

/// The current filter (the remembered one at first, else All) and a
/// callback that changes and remembers it.
#[hook]
pub(crate) fn use_remembered_filter() -> (StatusFilter, Callback<StatusFilter>) {
    let filter = use_state(|| stored_filter().unwrap_or(StatusFilter::All));
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
        assert_eq!(parse_stored("pending"), Some(StatusFilter::Pending));
        assert_eq!(parse_stored("\"completed\""), Some(StatusFilter::Completed), "gloo-storage's JSON");
        assert_eq!(parse_stored("all"), Some(StatusFilter::All));
        assert_eq!(parse_stored("bogus"), None);
    }

    #[test]
    fn a_remembered_filter_reads_back() {
        remember_filter(StatusFilter::Completed);
        assert_eq!(stored_filter(), Some(StatusFilter::Completed));
        remember_filter(StatusFilter::All);
        assert_eq!(stored_filter(), Some(StatusFilter::All));
    }
}
