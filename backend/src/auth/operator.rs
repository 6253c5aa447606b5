//! `backend keys list | rotate | revoke <kid>`: the signing keys, managed by
//! the operator with the same binary and configuration as the server.

use super::keys::KeyStore;
use super::secrets::Secrets;
use super::state::key_store;
use crate::clock::{iso8601, now_millis};
use crate::config::Settings;
use crate::db::Db;

pub const KEYS_USAGE: &str = "usage: backend keys list | rotate | revoke <kid>";

/// Runs a `keys` subcommand; the text to print, or why it failed.
pub(crate) async fn keys_command(settings: &Settings, db: &Db, args: &[String]) -> Result<String, String> {
    let secrets = Secrets::load(settings).map_err(|e| e.to_string())?;
    let store = key_store(settings, secrets);
    let failed = |e: sqlx::Error| format!("the key store is unavailable: {e}");
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["list"] => list(&store, db).await.map_err(failed),
        ["rotate"] => {
            let kid = store.rotate(db).await.map_err(failed)?;
            let reload = settings.jwks_reload_interval_secs;
            Ok(format!(
                "new signing key {kid}; every replica signs with it within {reload} s, \
                 the previous keys stay published for JWKS_GRACE_PERIOD ({} s)",
                settings.jwks_grace_secs
            ))
        }
        ["revoke", kid] => match store.revoke(db, kid).await.map_err(failed)? {
            true => Ok(format!(
                "revoked {kid}: gone from /jwks and refused by every replica within {} s",
                settings.jwks_reload_interval_secs
            )),
            false => Err(format!("no key {kid} that is not already revoked (see `backend keys list`)")),
        },
        _ => Err(KEYS_USAGE.to_owned()),
    }
}

async fn list(store: &KeyStore, db: &Db) -> Result<String, sqlx::Error> {
    let now = now_millis();
    let keys = store.list(db).await?;
    if keys.is_empty() {
        return Ok("no signing keys yet (the server makes one on first use)".to_owned());
    }
    let mut out = format!("{:<34} {:<25} {:<9} published until\n", "kid", "created", "state");
    for key in keys {
        let state = match () {
            _ if key.revoked_at.is_some() => "revoked",
            _ if key.retires_at > now => "signing",
            _ if key.published_until > now => "retired",
            _ => "expired",
        };
        out.push_str(&format!(
            "{:<34} {:<25} {:<9} {}\n",
            key.kid,
            iso8601(key.created_at),
            state,
            iso8601(key.published_until)
        ));
    }
    Ok(out.trim_end().to_owned())
}
