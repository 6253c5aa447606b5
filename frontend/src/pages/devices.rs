//! The account page's "where you are signed in": every session of the user,
//! this device marked, revoke one or all others.

use yew::prelude::*;

use crate::api;
use crate::api::account::Device;
use crate::auth::context::use_auth;
use crate::components::field::Outcome;
use crate::hooks::submit::use_submit;
use crate::pages::auth_form::account_error;

/// "Chrome on Linux" from a user agent: the browser and the system, in
/// words; whatever is not recognised is said so plainly.
pub(crate) fn device_name(user_agent: &str) -> String {
    let has = |s: &str| user_agent.contains(s);
    let browser = if has("Edg/") {
        "Edge"
    } else if has("Firefox/") {
        "Firefox"
    } else if has("OPR/") {
        "Opera"
    } else if has("Chrome/") || has("CriOS/") {
        "Chrome"
    } else if has("Safari/") {
        "Safari"
    } else {
        "A browser"
    };
    let system = if has("Android") {
        "Android"
    } else if has("iPhone") || has("iPad") {
        "iOS"
    } else if has("Windows") {
        "Windows"
    } else if has("Mac OS X") || has("Macintosh") {
        "macOS"
    } else if has("CrOS") {
        "ChromeOS"
    } else if has("Linux") {
        "Linux"
    } else {
        return browser.to_owned();
    };
    format!("{browser} on {system}")
}

/// An ISO 8601 time in the browser's locale and time zone.
fn local_time(iso: &str) -> String {
    let date = js_sys::Date::new(&iso.into());
    String::from(date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED))
}

#[derive(Clone, PartialEq)]
enum Loaded {
    Loading,
    Devices { all: Vec<Device>, this_one: Option<String> },
    Failed(String),
}

#[derive(Properties, PartialEq)]
pub(crate) struct DevicesProps {
    /// Changes when the list changed elsewhere on the page (reload then).
    pub changed: u32,
}

#[component]
pub(crate) fn Devices(props: &DevicesProps) -> Html {
    let auth = use_auth();
    let loaded = use_state(|| Loaded::Loading);
    // Bumped after a revoke here, to load the list again.
    let reloads = use_state(|| 0u32);
    let submit = use_submit();
    {
        let (auth, loaded) = (auth.clone(), loaded.clone());
        use_effect_with((props.changed, *reloads), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let answer =
                    async { Ok((api::account::list_sessions().await?, api::account::this_session_id().await?)) };
                loaded.set(match answer.await {
                    Ok((all, this_one)) => Loaded::Devices { all, this_one },
                    Err(e) => Loaded::Failed(account_error(&auth, &e)),
                });
            });
        });
    }
    let revoke = |handle: Option<String>| {
        let (auth, submit, reloads) = (auth.clone(), submit.clone(), reloads.clone());
        Callback::from(move |_: MouseEvent| {
            let (auth, reloads, handle) = (auth.clone(), reloads.clone(), handle.clone());
            submit.run(async move {
                let done = match &handle {
                    Some(handle) => api::account::revoke_session(handle).await.map(|()| "That device is signed out."),
                    None => api::account::revoke_other_sessions().await.map(|()| "Every other device is signed out."),
                };
                let done = done.map_err(|e| account_error(&auth, &e))?;
                reloads.set(*reloads + 1);
                Ok(done.into())
            });
        })
    };
    let body = match &*loaded {
        Loaded::Loading => html! { <p class="muted" aria-busy="true">{ "Loading…" }</p> },
        Loaded::Failed(message) => html! { <p class="form-error" role="alert">{ message }</p> },
        Loaded::Devices { all, this_one } => {
            let others = all.iter().filter(|d| Some(&d.id) != this_one.as_ref()).count();
            let rows = all.iter().map(|device| {
                let here = Some(&device.id) == this_one.as_ref();
                let name = device_name(device.user_agent.as_deref().unwrap_or_default());
                html! {
                    <li key={device.id.clone()} class="device" data-testid="device">
                        <div class="device-about">
                            <strong>{ name }</strong>
                            if here { <span class="badge">{ "This device" }</span> }
                            <span class="muted device-meta">
                                { device.ip_address.as_deref().unwrap_or("IP unknown") }
                                { " · last active " }{ local_time(&device.updated_at) }
                            </span>
                        </div>
                        if !here {
                            <button type="button" class="ghost danger" disabled={submit.busy()}
                                onclick={revoke(Some(device.token.clone()))}>{ "Sign out" }</button>
                        }
                    </li>
                }
            });
            html! {
                <>
                    <ul class="devices">{ for rows }</ul>
                    if others > 0 {
                        <button type="button" class="secondary" disabled={submit.busy()} onclick={revoke(None)}>
                            { "Sign out everywhere else" }
                        </button>
                    }
                </>
            }
        }
    };
    html! {
        <section class="card" aria-labelledby="devices-title">
            <h2 id="devices-title">{ "Where you are signed in" }</h2>
            { body }
            <Outcome phase={submit.phase()} />
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn user_agents_become_device_names() {
        let cases = [
            ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36", "Chrome on Linux"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0", "Edge on Windows"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1", "Safari on iOS"),
            ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36", "Chrome on Android"),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:132.0) Gecko/20100101 Firefox/132.0", "Firefox on macOS"),
            ("curl/8.5.0", "A browser"),
            ("", "A browser"),
        ];
        for (agent, name) in cases {
            assert_eq!(device_name(agent), name, "{agent}");
        }
    }
}
