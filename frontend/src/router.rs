//! Client-side navigation for five fixed routes: the History API, a context
//! with the current location, `<Link>` and `use_redirect`.
//!
//! It replaces yew-router, which brought a route recogniser, a query
//! (de)serialiser and gloo's whole history layer into the wasm for what is
//! here a `match` on the path and one query parameter.

use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::routes::Route;

/// Where the browser is: the path and the raw query (without `?`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Location {
    pub(crate) path: String,
    pub(crate) query: String,
}

impl Location {
    fn current() -> Self {
        let location = web_sys::window().map(|w| w.location());
        let read = |f: fn(&web_sys::Location) -> Result<String, wasm_bindgen::JsValue>| {
            location.as_ref().and_then(|l| f(l).ok()).unwrap_or_default()
        };
        Self {
            path: read(web_sys::Location::pathname),
            query: read(web_sys::Location::search).trim_start_matches('?').to_owned(),
        }
    }

    /// The first value of query parameter `name`, percent-decoded.
    pub(crate) fn param(&self, name: &str) -> Option<String> {
        query_param(&self.query, name)
    }
}

/// The first value of `name` in a query string (`a=1&b=2`), decoded as a
/// form value (`+` is a space, `%XX` a byte of UTF-8).
pub(crate) fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then(|| {
            let spaced = value.replace('+', " ");
            js_sys::decode_uri_component(&spaced).ok().and_then(|s| s.as_string()).unwrap_or(spaced)
        })
    })
}

/// Changes the location (pushing or replacing a history entry) and tells
/// the router.
#[derive(Clone, PartialEq)]
pub(crate) struct Navigator {
    changed: Callback<Location>,
}

impl Navigator {
    pub(crate) fn push(&self, route: &Route) {
        self.go(route, &[], false);
    }

    pub(crate) fn push_with_query(&self, route: &Route, query: &[(&str, &str)]) {
        self.go(route, query, false);
    }

    pub(crate) fn replace_with_query(&self, route: &Route, query: &[(&str, &str)]) {
        self.go(route, query, true);
    }

    pub(crate) fn replace(&self, route: &Route) {
        self.go(route, &[], true);
    }

    fn go(&self, route: &Route, query: &[(&str, &str)], replace: bool) {
        let query: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{}={}", js_sys::encode_uri_component(k), js_sys::encode_uri_component(v)))
            .collect();
        let next = Location { path: route.path().to_owned(), query: query.join("&") };
        let url = if next.query.is_empty() { next.path.clone() } else { format!("{}?{}", next.path, next.query) };
        if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
            let null = wasm_bindgen::JsValue::NULL;
            let _ = if replace {
                history.replace_state_with_url(&null, "", Some(&url))
            } else {
                history.push_state_with_url(&null, "", Some(&url))
            };
        }
        self.changed.emit(next);
    }
}

#[derive(Clone, PartialEq)]
struct RouterContext {
    location: Rc<Location>,
    navigator: Navigator,
}

#[derive(Properties, PartialEq)]
pub(crate) struct RouterProps {
    pub(crate) children: Html,
}

/// Provides the location and the navigator; follows Back and Forward.
#[component]
pub(crate) fn Router(props: &RouterProps) -> Html {
    let location = use_state(|| Rc::new(Location::current()));
    let navigator = {
        let location = location.clone();
        use_memo((), move |_| Navigator { changed: Callback::from(move |next| location.set(Rc::new(next))) })
    };
    {
        let location = location.clone();
        use_effect_with((), move |_| {
            let on_pop = Closure::<dyn Fn()>::new(move || location.set(Rc::new(Location::current())));
            let window = web_sys::window();
            if let Some(w) = &window {
                let _ = w.add_event_listener_with_callback("popstate", on_pop.as_ref().unchecked_ref());
            }
            move || {
                if let Some(w) = &window {
                    let _ = w.remove_event_listener_with_callback("popstate", on_pop.as_ref().unchecked_ref());
                }
            }
        });
    }
    let context = RouterContext { location: (*location).clone(), navigator: (*navigator).clone() };
    html! { <ContextProvider<RouterContext> {context}>{ props.children.clone() }</ContextProvider<RouterContext>> }
}

/// The navigator (`None` outside `<Router>`, e.g. in a component test).
#[hook]
pub(crate) fn use_navigator() -> Option<Navigator> {
    use_context::<RouterContext>().map(|c| c.navigator)
}

/// The current location (`None` outside `<Router>`).
#[hook]
pub(crate) fn use_location() -> Option<Rc<Location>> {
    use_context::<RouterContext>().map(|c| c.location)
}

/// The current route (re-rendering when it changes).
#[hook]
pub(crate) fn use_route() -> Route {
    let location = use_location();
    Route::recognize(location.as_deref().map(|l| l.path.as_str()).unwrap_or("/")).unwrap_or(Route::NotFound)
}

#[derive(Properties, PartialEq)]
pub(crate) struct LinkProps {
    pub(crate) to: Route,
    #[prop_or_default]
    pub(crate) classes: Classes,
    pub(crate) children: Html,
}

/// An ordinary link (it works opened in a new tab) that navigates in place
/// on a plain click.
#[component]
pub(crate) fn Link(props: &LinkProps) -> Html {
    let navigator = use_navigator();
    let to = props.to.clone();
    let onclick = Callback::from(move |e: MouseEvent| {
        let plain = e.button() == 0 && !(e.ctrl_key() || e.meta_key() || e.shift_key() || e.alt_key());
        if let (true, Some(nav)) = (plain, &navigator) {
            e.prevent_default();
            nav.push(&to);
        }
    });
    html! { <a href={props.to.path()} class={props.classes.clone()} {onclick}>{ props.children.clone() }</a> }
}

/// Goes to `to` once rendered with `Some`, replacing the current history
/// entry (Back must not land on a page that only redirects again).
#[hook]
pub(crate) fn use_redirect(to: Option<Route>) {
    let navigator = use_navigator();
    use_effect_with(to, move |to| {
        if let (Some(to), Some(nav)) = (to, navigator) {
            nav.replace(to);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn reads_one_decoded_query_parameter() {
        assert_eq!(query_param("redirect=%2Ftasks", "redirect").as_deref(), Some("/tasks"));
        assert_eq!(
            query_param("a=1&redirect=/tasks%3Fx%3D1&redirect=/other", "redirect").as_deref(),
            Some("/tasks?x=1")
        );
        assert_eq!(query_param("q=two+words", "q").as_deref(), Some("two words"));
        assert_eq!(query_param("q=%E2%9C%93", "q").as_deref(), Some("✓"));
        assert_eq!(query_param("q=%E2%9C", "q").as_deref(), Some("%E2%9C"), "malformed escapes stay as sent");
        assert_eq!(query_param("redirected=/x", "redirect"), None);
        assert_eq!(query_param("", "redirect"), None);
    }
}
