//! The `backend` binary: loads `.env`, sets up logging, launches Rocket and
//! turns a failed launch into one clear line instead of a panic.

use std::process::ExitCode;

#[rocket::main]
async fn main() -> ExitCode {
    // A missing .env is normal; a malformed one is worth a line.
    if let Err(e) = dotenvy::dotenv() {
        if !e.not_found() {
            eprintln!("error: could not read .env: {e}");
            return ExitCode::FAILURE;
        }
    }
    backend::logging::init();
    let rocket = match backend::rocket() {
        Ok(rocket) => rocket,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rocket.launch().await {
        Ok(stopped) => {
            // Graceful shutdown has drained the requests: now the pool can go.
            if let Some(db) = stopped.state::<backend::db::Db>() {
                db.close().await;
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}", backend::launch_error_line(&e));
            ExitCode::FAILURE
        }
    }
}
