//! The route table and what renders for each route.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::pages::{Home, Login, NotFound, Signup, Tasks};

#[derive(Clone, Routable, PartialEq, Debug)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/login")]
    Login,
    #[at("/signup")]
    Signup,
    #[at("/tasks")]
    Tasks,
    #[not_found]
    #[at("/404")]
    NotFound,
}

pub fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <Home /> },
        Route::Login => html! { <Login /> },
        Route::Signup => html! { <Signup /> },
        Route::Tasks => html! { <Tasks /> },
        Route::NotFound => html! { <NotFound /> },
    }
}
