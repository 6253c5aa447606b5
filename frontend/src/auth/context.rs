//! The auth context: the session user (loaded from `get-session` at start),
//! the in-memory JWT, and sign-in/sign-up/sign-out actions (`use_auth()`).

use std::cell::RefCell;
use std::rc::Rc;

use shared::auth::User;
use yew::prelude::*;

use crate::api;
use crate::api::error::ApiError;
use crate::auth::jwt;

/// What is known about the session.
#[derive(Clone, Debug, PartialEq)]
pub enum Session {
    /// `get-session` has not answered yet: render nothing protected.
    Loading,
    SignedOut,
    SignedIn(User),
}

/// Handle to the auth context.
#[derive(Clone)]
pub struct AuthHandle {
    /// The session as of this render. (Yew's state handles read the latest
    /// value, so two handles would always compare equal and the context
    /// would never tell consumers about a change; this snapshot does.)
    current: Session,
    session: UseStateHandle<Session>,
    /// The current JWT: memory only, never storage (the cookie is HttpOnly).
    jwt: Rc<RefCell<Option<String>>>,
}

impl PartialEq for AuthHandle {
    fn eq(&self, other: &Self) -> bool {
        self.current == other.current && Rc::ptr_eq(&self.jwt, &other.jwt)
    }
}

impl AuthHandle {
    pub fn session(&self) -> &Session {
        &self.current
    }

    pub(crate) fn user(&self) -> Option<&User> {
        match &self.current {
            Session::SignedIn(user) => Some(user),
            _ => None,
        }
    }

    pub(crate) async fn sign_in(&self, email: &str, password: &str, remember_me: bool) -> Result<(), ApiError> {
        let user = api::auth::sign_in(email, password, remember_me).await?;
        self.jwt.borrow_mut().take();
        self.session.set(Session::SignedIn(user));
        Ok(())
    }

    /// Signs up; `false` when the server holds the session back until the
    /// email is verified (then nobody is signed in yet).
    pub(crate) async fn sign_up(&self, name: &str, email: &str, password: &str) -> Result<bool, ApiError> {
        let (user, signed_in) = api::auth::sign_up(name, email, password).await?;
        self.jwt.borrow_mut().take();
        if signed_in {
            self.session.set(Session::SignedIn(user));
        }
        Ok(signed_in)
    }

    /// The signed-in user renamed (after `update-user` said so).
    pub(crate) fn renamed(&self, name: &str) {
        if let Session::SignedIn(user) = &self.current {
            self.session.set(Session::SignedIn(shared::auth::User { name: name.to_owned(), ..user.clone() }));
        }
    }

    /// Ends the session on the server (best effort) and here.
    pub(crate) async fn sign_out(&self) {
        let _ = api::auth::sign_out().await;
        self.forget();
    }

    /// Forgets the session locally (after a 401 the server already has).
    pub(crate) fn forget(&self) {
        self.jwt.borrow_mut().take();
        self.session.set(Session::SignedOut);
    }

    /// A JWT good for at least a minute more: the cached one, or a fresh one
    /// from `/api/auth/token` (always fresh with `force`).
    pub(crate) async fn bearer(&self, force: bool) -> Result<String, ApiError> {
        if !force {
            let cached = self.jwt.borrow().clone();
            if let Some(token) = cached.filter(|t| jwt::is_fresh(t, jwt::now_secs())) {
                return Ok(token);
            }
        }
        let token = api::auth::token().await?;
        *self.jwt.borrow_mut() = Some(token.clone());
        Ok(token)
    }
}

#[derive(Properties, PartialEq)]
pub struct AuthProviderProps {
    pub children: Html,
}

/// Loads the session once and provides `AuthHandle` to the tree.
#[component]
pub fn AuthProvider(props: &AuthProviderProps) -> Html {
    let session = use_state(|| Session::Loading);
    let jwt = use_memo((), |_| Rc::new(RefCell::new(None::<String>)));
    let handle = AuthHandle { current: (*session).clone(), session: session.clone(), jwt: (*jwt).clone() };
    {
        let handle = handle.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                match api::auth::get_session().await {
                    Ok((Some(user), token)) => {
                        *handle.jwt.borrow_mut() = token;
                        handle.session.set(Session::SignedIn(user));
                    }
                    Ok((None, _)) | Err(_) => handle.session.set(Session::SignedOut),
                }
            });
        });
    }
    html! { <ContextProvider<AuthHandle> context={handle}>{ props.children.clone() }</ContextProvider<AuthHandle>> }
}

/// The auth context; panics outside `AuthProvider` (a programming error).
#[hook]
pub fn use_auth() -> AuthHandle {
    use_context::<AuthHandle>().expect("use_auth() inside <AuthProvider>")
}
