//! The Rocket application: `rocket()` builds it from configuration by
//! attaching one stage per feature; `main.rs` only launches it.

pub mod auth;
pub mod bearer;
pub mod body;
pub mod config;
pub mod cors;
pub mod db;
pub mod error;
pub mod health;
pub mod logging;
pub mod openapi;
pub mod reply;
pub mod request_log;
pub mod security;
pub mod tasks;
pub mod web;

use rocket::figment::Figment;
use rocket::{Build, Rocket};

pub use config::{ConfigError, Settings};

/// The app configured from Rocket.toml + environment.
pub fn rocket() -> Result<Rocket<Build>, ConfigError> {
    rocket_from(config::figment())
}

/// The app configured from an explicit figment (tests build their own).
pub fn rocket_from(figment: Figment) -> Result<Rocket<Build>, ConfigError> {
    let settings = Settings::from_figment(&figment)?;
    let auth = auth::AuthState::from_settings(&settings)?;
    let bearer = bearer::BearerState::from_settings(&settings);
    let cors = cors::stage(&settings);
    let security = security::SecurityHeaders::new(&settings.base_url);
    let figment = figment.merge(("databases.todo.url", settings.database_url.clone()));
    Ok(rocket::custom(figment)
        .manage(settings)
        .attach(request_log::RequestLog)
        .attach(security)
        .attach(cors)
        .attach(db::stage())
        .attach(error::stage())
        .attach(health::stage())
        .attach(auth::stage(auth))
        .manage(bearer)
        .attach(tasks::stage())
        .attach(openapi::stage())
        .attach(web::stage()))
}

/// One line saying why Rocket could not start.
pub fn launch_error_line(e: &rocket::Error) -> String {
    use rocket::error::ErrorKind;
    match e.kind() {
        ErrorKind::Bind(err) => format!("cannot listen on the configured address/port (is it already in use?): {err}"),
        ErrorKind::Io(err) => format!("I/O error at start: {err}"),
        ErrorKind::Config(err) => format!("invalid Rocket configuration: {err}"),
        ErrorKind::FailedFairings(fairings) => {
            let names: Vec<&str> = fairings.iter().map(|f| f.name).collect();
            format!(
                "start-up failed in: {} (check DATABASE_URL and that the database is reachable; details above)",
                names.join(", ")
            )
        }
        other => format!("{other}"),
    }
}
