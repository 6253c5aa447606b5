//! `use_api()`: the only way the app calls the task API. It attaches the
//! bearer JWT (refreshed before it expires), retries once after a 401 with a
//! fresh token, and turns failures into the designed UX (see `ux`).

use std::future::Future;

use yew::prelude::*;

use super::ux::{retry_with_fresh_token, ux_for, Ux, FORBIDDEN, NOT_FOUND, SESSION_EXPIRED};
use super::ApiError;
use crate::auth::{use_auth, AuthHandle};
use crate::router::{use_location, use_navigator, Navigator};
use crate::routes::Route;
use crate::toast::{use_toasts, ToastHandle};

#[derive(Clone)]
pub struct ApiHandle {
    auth: AuthHandle,
    toasts: ToastHandle,
    navigator: Option<Navigator>,
    /// Where the user is, to come back after signing in again.
    here: String,
}

impl ApiHandle {
    pub fn user_id(&self) -> Option<String> {
        self.auth.user().map(|u| u.id.clone())
    }

    /// Runs `call(user_id, token)`; on a 401 once more with a fresh token;
    /// then reacts to any remaining failure and returns it.
    pub async fn run<T, F, Fut>(&self, call: F) -> Result<T, ApiError>
    where
        F: Fn(String, String) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let result = async {
            let user_id = self.user_id().ok_or(ApiError::Http { status: 401, body: None, retry_after: None })?;
            let token = self.auth.bearer(false).await?;
            match call(user_id.clone(), token).await {
                Err(e) if retry_with_fresh_token(&e) => {
                    let token = self.auth.bearer(true).await?;
                    call(user_id, token).await
                }
                other => other,
            }
        }
        .await;
        if let Err(e) = &result {
            self.react(e);
        }
        result
    }

    fn react(&self, error: &ApiError) {
        match ux_for(error) {
            Ux::SessionExpired => {
                self.auth.forget();
                self.toasts.error(SESSION_EXPIRED);
                if let Some(nav) = &self.navigator {
                    let _ = nav.push_with_query(&Route::Login, &[("redirect", self.here.as_str())]);
                }
            }
            Ux::Forbidden => self.toasts.error(FORBIDDEN),
            Ux::NotFound => self.toasts.error(NOT_FOUND),
            // Shown where the user acted, with what they typed kept.
            Ux::Retry(_) | Ux::Rejected(_) => {}
        }
    }
}

#[hook]
pub fn use_api() -> ApiHandle {
    let auth = use_auth();
    let toasts = use_toasts();
    let navigator = use_navigator();
    let here = use_location().map(|l| l.path.clone()).unwrap_or_else(|| "/tasks".into());
    ApiHandle { auth, toasts, navigator, here }
}
