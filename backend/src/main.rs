//! The `backend` binary: loads `.env`, sets up logging, launches Rocket and
//! turns a failed launch into one clear line instead of a panic; or, with
//! arguments, runs an operator command (`backend keys list|rotate|revoke`).

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
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(result) = backend::operator_command(&args).await {
        return match result {
            Ok(out) => {
                println!("{out}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        };
    }
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
