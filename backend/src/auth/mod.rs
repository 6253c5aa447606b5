//! The auth server under `/api/auth`, speaking Better Auth's HTTP API:
//! email/password sign-up and sign-in, cookie sessions, EdDSA JWTs and JWKS,
//! and managing the account (`account`).

pub(crate) mod account;
mod cookies;
mod crypto;
mod guards;
mod jwt;
mod key_source;
mod keys;
mod limiter;
mod mail;
mod notify;
mod operator;
mod outbox;
mod password;
pub(crate) mod recovery;
pub(crate) mod routes;
mod secrets;
mod session;
mod state;
mod store;
mod throttle;

use rocket::fairing::AdHoc;

pub(crate) use key_source::LocalKeys;
pub(crate) use operator::{keys_command, KEYS_USAGE};
pub(crate) use state::AuthState;

/// Mounts the auth routes; `state` is built (and validated) before launch.
pub(crate) fn stage(state: AuthState) -> AdHoc {
    AdHoc::on_ignite("Auth server", |rocket| async move {
        rocket
            .attach(AdHoc::on_liftoff("Mail outbox", |rocket| Box::pin(async move { start_outbox(rocket) })))
            .manage(state)
            .mount("/api/auth", routes::routes())
            .mount("/api/auth", account::routes())
            .mount("/api/auth", recovery::routes())
    })
}

/// The worker that sends queued mail, until Rocket shuts down.
fn start_outbox(rocket: &rocket::Rocket<rocket::Orbit>) {
    let (Some(auth), Some(db)) = (rocket.state::<AuthState>(), rocket.state::<crate::db::Db>()) else { return };
    let Some(mailer) = auth.mailer.clone() else { return };
    let shutdown = rocket.shutdown();
    tokio::spawn(outbox::run(db.clone(), mailer, auth.secrets.clone(), auth.outbox.clone(), async move {
        shutdown.await;
    }));
}
