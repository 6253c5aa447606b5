//! Who is signed in: the auth context (`context`: the session user from
//! `get-session`, the in-memory JWT, sign-in/up/out) and the token expiry
//! maths (`jwt`). This file only declares the modules.

pub mod context;
pub(crate) mod jwt;
