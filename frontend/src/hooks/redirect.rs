//! `use_redirect`: leave a page that only redirects.

use yew::prelude::*;
use yew_router::prelude::use_navigator;

use crate::routes::Route;

/// Goes to `to` once rendered with `Some`, replacing the current history
/// entry (Back must not land on a page that only redirects again; yew-router's
/// `<Redirect>` pushes).
#[hook]
pub(crate) fn use_redirect(to: Option<Route>) {
    let navigator = use_navigator();
    use_effect_with(to, move |to| {
        if let (Some(to), Some(nav)) = (to, navigator) {
            nav.replace(to);
        }
    });
}
