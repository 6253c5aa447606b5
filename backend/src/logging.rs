//! Process-wide log setup: `tracing` with `RUST_LOG`. The default shows the
//! app's own lines (one per request, start-up, warnings) and only warnings
//! from Rocket and the libraries, whose per-request chatter would otherwise
//! arrive through the `log` bridge.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub const DEFAULT_FILTER: &str = "info,rocket=warn,rocket_db_pools=warn,_=warn,sqlx=warn,hyper=warn,reqwest=warn";

/// Installs the subscriber once; later calls (tests) are no-ops.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal())
        .try_init();
}
