//! The Rocket application: `rocket()` builds it from configuration by
//! attaching one stage per feature; `main.rs` only launches it.

//!
//! Layers point one way (docs/ARCHITECTURE.md): routes → domain (store,
//! cache, versions, key store) → `db` → `clock`; the task guard (`bearer`)
//! knows only its `KeySource` trait, which the auth server's key store
//! implements — this file is where the two are wired together.

mod auth;
pub mod bearer;
mod body;
mod clock;
mod config;
mod connection;
mod cors;
pub mod db;
mod encoding;
mod error;
mod events;
mod health;
mod limit;
pub mod logging;
mod openapi;
mod reply;
mod request_log;
mod security;
pub mod tasks;
mod web;

use std::sync::Arc;
use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::{Build, Rocket};

use bearer::{BearerState, Expectations, KeySource, RemoteJwks};
pub use clock::now_millis;
pub use config::{ConfigError, Settings};

/// The app configured from Rocket.toml + environment.
/// Served over TCP (the binary): the password queue can see whether a
/// waiting client has left (`connection`).
pub fn rocket() -> Result<Rocket<Build>, ConfigError> {
    Ok(rocket_from(config::figment())?.manage(connection::OverTcp))
}

/// An operator command (`backend keys …`) with the server's configuration
/// and database; `None` when `args` name none (then the server starts).
pub async fn operator_command(args: &[String]) -> Option<Result<String, String>> {
    let (command, rest) = args.split_first()?;
    Some(match (command.as_str(), rest) {
        ("keys", rest) => keys(rest).await,
        ("precompress", []) => {
            web::precompress(std::path::Path::new(&std::env::var("DIST_DIR").unwrap_or("dist".into())))
        }
        ("precompress", [dir]) => web::precompress(std::path::Path::new(dir)),
        _ => Err(format!("unknown command `{}`; {}, or backend precompress [DIR]", args.join(" "), auth::KEYS_USAGE)),
    })
}

async fn keys(args: &[String]) -> Result<String, String> {
    let figment = config::figment();
    let settings = Settings::from_figment(&figment).map_err(|e| e.to_string())?;
    let figment = figment.merge(("databases.todo.url", settings.database_url.clone()));
    // Only the database stage: the pool and the migrations.
    let rocket = rocket::custom(figment).manage(settings.clone()).attach(db::stage());
    let rocket = rocket.ignite().await.map_err(|e| format!("cannot open the database: {e}"))?;
    let db = rocket.state::<db::Db>().ok_or("cannot open the database (check DATABASE_URL)")?;
    let result = auth::keys_command(&settings, db, args).await;
    db.close().await;
    result
}

/// The app configured from an explicit figment (tests build their own).
pub fn rocket_from(figment: Figment) -> Result<Rocket<Build>, ConfigError> {
    let settings = Settings::from_figment(&figment)?;
    let auth = auth::AuthState::from_settings(&settings)?;
    let bearer = bearer_stage(&settings, &auth);
    let cors = cors::stage(&settings);
    let security = security::SecurityHeaders::new(&settings.base_url);
    let (events_max_streams, postgres) =
        (settings.events_max_streams_per_user, settings.engine == config::Engine::Postgres);
    let figment = figment.merge(("databases.todo.url", settings.database_url.clone()));
    Ok(rocket::custom(figment)
        .manage(settings)
        .attach(request_log::RequestLog)
        .attach(security)
        .attach(encoding::CompressJson)
        .attach(cors)
        .attach(db::stage())
        .attach(error::stage())
        .attach(health::stage())
        .attach(auth::stage(auth))
        .attach(bearer)
        .attach(tasks::stage())
        .attach(events::stage(events_max_streams, postgres))
        .attach(openapi::stage())
        .attach(web::stage()))
}

/// The task guard's state: keys from `JWKS_URL` when set, else from this
/// server's key store (which needs the pool, so it is wired at ignition).
fn bearer_stage(settings: &Settings, auth: &auth::AuthState) -> AdHoc {
    let expect = Expectations {
        issuer: settings.jwt_issuer.clone(),
        audience: settings.jwt_audience.clone(),
        leeway_secs: settings.jwt_leeway_secs,
    };
    let remote = settings.jwks_url.clone().map(|url| {
        let cooldown = Duration::from_secs(settings.jwks_refetch_cooldown_secs);
        Arc::new(RemoteJwks::new(url, cooldown)) as Arc<dyn KeySource>
    });
    let local_keys = auth.keys.clone();
    let wire = AdHoc::try_on_ignite("Bearer keys", move |rocket| async move {
        let source = match remote {
            Some(remote) => remote,
            None => match rocket.state::<db::Db>() {
                Some(db) => Arc::new(auth::LocalKeys::new(local_keys, db.clone())) as Arc<dyn KeySource>,
                None => return Err(rocket), // the pool failed to start: already logged
            },
        };
        Ok(rocket.manage(BearerState::new(source, expect)))
    });
    // Fairings attached while igniting run after every one attached before:
    // attaching `wire` from here puts it after the database stage's pool.
    AdHoc::on_ignite("Task guard", |rocket| async move { rocket.attach(wire) })
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
