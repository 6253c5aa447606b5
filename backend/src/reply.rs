//! Response wrappers shared by the auth server and the task API.

use rocket::http::Header;
use rocket::response::{self, Responder};
use rocket::Request;

/// A response with extra headers (`set-auth-jwt`, `X-Total-Count`, `Cache-Control`, ...).
pub struct WithHeaders<T>(pub T, pub Vec<Header<'static>>);

impl<'r, T: Responder<'r, 'static>> Responder<'r, 'static> for WithHeaders<T> {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let mut res = self.0.respond_to(req)?;
        for h in self.1 {
            res.set_header(h);
        }
        Ok(res)
    }
}
