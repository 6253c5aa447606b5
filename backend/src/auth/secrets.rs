//! The auth secrets: the current one signs cookies and encrypts new private
//! keys; previous ones still verify and decrypt, so rotating the secret
//! never locks users out or bricks the key store.

use std::path::Path;

use crate::config::{ConfigError, Settings, MIN_SECRET_CHARS};

/// Where a debug build keeps the secret it generated for itself.

#[derive(Clone)]
pub struct Secrets {
    /// Newest first.
    all: Vec<String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} configured, values hidden)", self.all.len())
    }
}

impl Secrets {
    pub fn new(current: String, previous: Vec<String>) -> Self {
        let mut all = vec![current];
        all.extend(previous);
        Self { all }
    }

    /// From settings: `BETTER_AUTH_SECRET`, else the secret file, generated
    /// once (with a warning) so restarts keep sessions — the one writer of
    /// it, also for `cargo xtask run`, which points the release binary here.
    pub fn load(settings: &Settings) -> Result<Self, ConfigError> {
        let current = match (&settings.auth_secret, &settings.secret_file) {
            (Some(secret), _) => secret.clone(),
            (None, Some(file)) => secret_from_file(file)?,
            (None, None) => return Err(ConfigError("no BETTER_AUTH_SECRET configured".into())),
        };
        Ok(Self::new(current, settings.previous_secrets.clone()))
    }

    pub fn current(&self) -> &str {
        &self.all[0]
    }

    pub fn all(&self) -> impl Iterator<Item = &str> {
        self.all.iter().map(String::as_str)
    }
}

fn secret_from_file(path: &Path) -> Result<String, ConfigError> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let existing = existing.trim().to_owned();
        if existing.chars().count() >= MIN_SECRET_CHARS {
            tracing::warn!("BETTER_AUTH_SECRET is not set: using the secret in {}", path.display());
            return Ok(existing);
        }
    }
    let secret = super::crypto::random_token();
    let write = || -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        std::io::Write::write_all(&mut options.open(path)?, secret.as_bytes())
    };
    write().map_err(|e| ConfigError(format!("cannot store a generated secret in {}: {e}", path.display())))?;
    tracing::warn!(
        "BETTER_AUTH_SECRET is not set: generated a secret into {} (keep it, or set BETTER_AUTH_SECRET, in production)",
        path.display()
    );
    Ok(secret)
}
