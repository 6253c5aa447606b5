//! `use_api()`: the only way the app calls the task API. It attaches the
//! bearer JWT (refreshed before it expires), retries once after a 401 with a
//! forced-fresh token, shows what `crate::ux` says is its to show (toasts, the
//! trip to `/login`), and returns that decision to the caller.

use std::future::Future;

use yew::prelude::*;
use yew_router::prelude::{use_location, use_navigator, Navigator};
use yew_router::Routable as _;

use crate::api::error::ApiError;
use crate::auth::context::{use_auth, AuthHandle};
use crate::routes::{LoginQuery, Route};
use crate::toast::provider::{use_toasts, ToastHandle};
use crate::ux::{ux_for, Ux, FORBIDDEN, NOT_FOUND, SESSION_EXPIRED};

/// Calls `call` with `token(false)` (a cached token if still fresh); after a
/// 401, exactly once more with `token(true)` (forced fresh). Any other
/// failure, a failure to get a token, or a second 401 is returned as is.
pub(crate) async fn with_token_retry<T, Token, TokenFut, Call, CallFut>(token: Token, call: Call) -> Result<T, ApiError>
where
    Token: Fn(bool) -> TokenFut,
    TokenFut: Future<Output = Result<String, ApiError>>,
    Call: Fn(String) -> CallFut,
    CallFut: Future<Output = Result<T, ApiError>>,
{
    match call(token(false).await?).await {
        Err(e) if e.status() == Some(401) => call(token(true).await?).await,
        other => other,
    }
}

#[derive(Clone)]
pub(crate) struct ApiHandle {
    auth: AuthHandle,
    toasts: ToastHandle,
    navigator: Option<Navigator>,
    /// Where the user is, to come back after signing in again.
    here: String,
}

impl ApiHandle {
    pub(crate) fn user_id(&self) -> Option<String> {
        self.auth.user().map(|u| u.id.clone())
    }

    /// Runs `call(user_id, token)` (see `with_token_retry`); a failure comes
    /// back as the UX decision, already shown if it is `use_api`'s to show.
    pub(crate) async fn run<T, F, Fut>(&self, call: F) -> Result<T, Ux>
    where
        F: Fn(String, String) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let result = match self.user_id() {
            Some(user_id) => {
                let auth = &self.auth;
                with_token_retry(|force| auth.bearer(force), |token| call(user_id.clone(), token)).await
            }
            None => Err(ApiError::Http { status: 401, body: None, retry_after: None }),
        };
        result.map_err(|e| self.show(ux_for(&e)))
    }

    fn show(&self, ux: Ux) -> Ux {
        match &ux {
            Ux::SessionExpired => {
                self.auth.forget();
                self.toasts.error(SESSION_EXPIRED);
                if let Some(nav) = &self.navigator {
                    let _ = nav.push_with_query(&Route::Login, LoginQuery::back_to(self.here.as_str()));
                }
            }
            Ux::Forbidden => self.toasts.error(FORBIDDEN),
            Ux::NotFound => self.toasts.error(NOT_FOUND),
            Ux::Inline(_) => {}
        }
        ux
    }
}

#[hook]
pub(crate) fn use_api() -> ApiHandle {
    let auth = use_auth();
    let toasts = use_toasts();
    let navigator = use_navigator();
    let here = use_location().map(|l| l.path().to_owned()).unwrap_or_else(|| Route::Tasks.to_path());
    ApiHandle { auth, toasts, navigator, here }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn status(status: u16) -> ApiError {
        ApiError::Http { status, body: None, retry_after: None }
    }

    /// A fake token source (`fresh-N` when forced, else `cached`) and a fake
    /// call answering from a script, both recording what happened.
    struct Fake {
        tokens: RefCell<Vec<bool>>,
        sent: RefCell<Vec<String>>,
        answers: RefCell<Vec<Result<&'static str, ApiError>>>,
    }

    impl Fake {
        fn answering(answers: Vec<Result<&'static str, ApiError>>) -> Rc<Fake> {
            Rc::new(Fake { tokens: RefCell::default(), sent: RefCell::default(), answers: RefCell::new(answers) })
        }

        async fn run(self: &Rc<Self>) -> Result<&'static str, ApiError> {
            let token = |force: bool| {
                let fake = self.clone();
                async move {
                    fake.tokens.borrow_mut().push(force);
                    Ok(if force { format!("fresh-{}", fake.tokens.borrow().len()) } else { "cached".into() })
                }
            };
            let call = |token: String| {
                let fake = self.clone();
                async move {
                    fake.sent.borrow_mut().push(token);
                    fake.answers.borrow_mut().remove(0)
                }
            };
            with_token_retry(token, call).await
        }
    }

    #[test]
    async fn a_401_is_retried_exactly_once_with_a_forced_fresh_token() {
        let fake = Fake::answering(vec![Err(status(401)), Ok("tasks")]);

        let result = fake.run().await;

        assert_eq!(result, Ok("tasks"));
        assert_eq!(*fake.tokens.borrow(), [false, true], "the retry forces a fresh token");
        assert_eq!(*fake.sent.borrow(), ["cached", "fresh-2"]);
    }

    #[test]
    async fn a_second_401_is_not_retried_again() {
        let fake = Fake::answering(vec![Err(status(401)), Err(status(401)), Ok("never asked")]);

        let result = fake.run().await;

        assert_eq!(result, Err(status(401)));
        assert_eq!(fake.sent.borrow().len(), 2, "one call and one retry");
        assert_eq!(fake.answers.borrow().len(), 1);
    }

    #[test]
    async fn other_failures_and_successes_are_not_retried() {
        for first in
            [Err(status(403)), Err(status(404)), Err(status(500)), Err(ApiError::Network("x".into())), Ok("ok")]
        {
            let fake = Fake::answering(vec![first.clone(), Ok("never asked")]);

            let result = fake.run().await;

            assert_eq!(result, first);
            assert_eq!(*fake.tokens.borrow(), [false], "no fresh token for {first:?}");
            assert_eq!(fake.sent.borrow().len(), 1, "no retry for {first:?}");
        }
    }

    #[test]
    async fn no_token_means_no_call() {
        let calls = Rc::new(RefCell::new(0));
        let result = with_token_retry(
            |_| async { Err::<String, _>(status(401)) },
            |_| {
                let calls = calls.clone();
                async move {
                    *calls.borrow_mut() += 1;
                    Ok(())
                }
            },
        )
        .await;

        assert_eq!(result, Err(status(401)));
        assert_eq!(*calls.borrow(), 0);
    }
}
