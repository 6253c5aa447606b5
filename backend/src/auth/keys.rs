//! Ed25519 signing keys in the `jwks` table, shared by every replica:
//! created on first use (race-free), rotated on an interval or by the
//! operator (`backend keys rotate`), retired keys published for a grace
//! period after they retired, revoked keys (`backend keys revoke`) gone from
//! `/jwks` and the guard on every replica at its next reload (at most
//! `JWKS_RELOAD_INTERVAL`), private keys encrypted with the auth secret.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ed25519_dalek::{Signer as _, SigningKey};
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, KeyAlgorithm, OctetKeyPairParameters, PublicKeyUse,
};
use rand::RngCore;
use serde::Serialize;
use sqlx::Executor;
use tokio::sync::{Mutex, RwLock};

use super::crypto::{b64, decrypt, encrypt, random_id, unb64};
use super::secrets::Secrets;
use crate::bearer::KeyRing;
use crate::clock::now_millis;
use crate::config::Engine;
use crate::db::{begin_write, finish, Db};
use crate::on_db;

/// Shared by replicas: serialises key creation on PostgreSQL.
const KEY_LOCK: i64 = 0x746f_646f_6a77_6b73; // "todojwks"

/// A public key as `/jwks` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PublicJwk {
    pub kty: &'static str,
    pub crv: &'static str,
    pub x: String,
    pub kid: String,
    pub alg: &'static str,
    #[serde(rename = "use")]
    pub use_: &'static str,
}

impl PublicJwk {
    fn ed25519(kid: String, x: String) -> Self {
        Self { kty: "OKP", crv: "Ed25519", x, kid, alg: "EdDSA", use_: "sig" }
    }

    /// The same key as the guard's JWK type (no JSON round trip).
    fn to_jwk(&self) -> Jwk {
        Jwk {
            common: CommonParameters {
                key_id: Some(self.kid.clone()),
                key_algorithm: Some(KeyAlgorithm::EdDSA),
                public_key_use: Some(PublicKeyUse::Signature),
                ..CommonParameters::default()
            },
            algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                curve: EllipticCurve::Ed25519,
                x: self.x.clone(),
                ..OctetKeyPairParameters::default()
            }),
        }
    }
}

/// The published keys, and the same keys ready for the task guard.
pub(crate) struct PublishedKeys {
    pub(crate) jwks: Vec<PublicJwk>,
    pub(crate) ring: Arc<KeyRing>,
}

impl PublishedKeys {
    fn new(jwks: Vec<PublicJwk>) -> Self {
        let ring = Arc::new(KeyRing::from_keys(&jwks.iter().map(PublicJwk::to_jwk).collect::<Vec<_>>()));
        Self { jwks, ring }
    }
}

/// The key that signs new tokens.
pub(crate) struct Signer {
    pub(crate) kid: String,
    key: SigningKey,
    created_at: i64,
}

impl Signer {
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

struct Loaded {
    signer: Arc<Signer>,
    public: Arc<PublishedKeys>,
    at: Instant,
}

pub(crate) struct KeyStore {
    secrets: Secrets,
    rotation_ms: i64,
    grace_ms: i64,
    /// How long a loaded key set is trusted before the database is asked
    /// again: bounds how late this replica sees a rotation or a revocation.
    reload_every: Duration,
    loaded: RwLock<Option<Loaded>>,
    /// One reload at a time; the others wait and reuse its result.
    reload: Mutex<()>,
}

struct Row {
    kid: String,
    public_key: String,
    private_key: String,
    created_at: i64,
    retired_at: Option<i64>,
}

/// A key as `backend keys list` shows it.
pub(crate) struct KeyInfo {
    pub(crate) kid: String,
    pub(crate) created_at: i64,
    /// When it stopped (or will stop) signing.
    pub(crate) retires_at: i64,
    /// Published, and trusted by the guard, until then.
    pub(crate) published_until: i64,
    pub(crate) revoked_at: Option<i64>,
}

impl KeyStore {
    pub(crate) fn new(secrets: Secrets, rotation_secs: i64, grace_secs: i64, reload_every: Duration) -> Self {
        Self {
            secrets,
            rotation_ms: rotation_secs.saturating_mul(1000),
            grace_ms: grace_secs.saturating_mul(1000),
            reload_every,
            loaded: RwLock::new(None),
            reload: Mutex::new(()),
        }
    }

    fn usable(&self, loaded: &Loaded) -> bool {
        loaded.at.elapsed() < self.reload_every && loaded.signer.created_at + self.rotation_ms > now_millis()
    }

    /// The current signer and the published keys, from cache or the database.
    async fn current(&self, pool: &Db) -> Result<(Arc<Signer>, Arc<PublishedKeys>), sqlx::Error> {
        if let Some(l) = self.loaded.read().await.as_ref().filter(|l| self.usable(l)) {
            return Ok((l.signer.clone(), l.public.clone()));
        }
        let _one_at_a_time = self.reload.lock().await;
        if let Some(l) = self.loaded.read().await.as_ref().filter(|l| self.usable(l)) {
            return Ok((l.signer.clone(), l.public.clone()));
        }
        self.load_and_cache(pool).await
    }

    /// Reads the store and replaces the cache (callers hold `reload`).
    async fn load_and_cache(&self, db: &Db) -> Result<(Arc<Signer>, Arc<PublishedKeys>), sqlx::Error> {
        let mut loaded = self.load(db).await?;
        let mut cache = self.loaded.write().await;
        if let Some(previous) = cache.as_ref().filter(|p| p.public.jwks == loaded.public.jwks) {
            // The same key set keeps the same ring, so tokens verified
            // against it stay verified (the guard's cache compares rings).
            loaded.public = previous.public.clone();
        }
        let result = (loaded.signer.clone(), loaded.public.clone());
        *cache = Some(loaded);
        Ok(result)
    }

    pub(crate) async fn signer(&self, pool: &Db) -> Result<Arc<Signer>, sqlx::Error> {
        Ok(self.current(pool).await?.0)
    }

    /// Re-reads the key set now (another replica may have rotated).
    pub(crate) async fn reload_public_keys(&self, db: &Db) -> Result<Arc<PublishedKeys>, sqlx::Error> {
        let _one_at_a_time = self.reload.lock().await;
        Ok(self.load_and_cache(db).await?.1)
    }

    pub(crate) async fn public_keys(&self, pool: &Db) -> Result<Arc<PublishedKeys>, sqlx::Error> {
        Ok(self.current(pool).await?.1)
    }

    /// Reads the key set once; makes a new signing key if none is current
    /// and usable (then reads again, to publish it). Creation happens under
    /// a database-wide lock, so replicas that start together end up with
    /// one key.
    async fn load(&self, db: &Db) -> Result<Loaded, sqlx::Error> {
        let mut rows = read_rows(db).await?;
        let signer = match self.pick_signer(&rows) {
            Some(signer) => signer,
            None => {
                let created = self.create(db, false).await?;
                rows = read_rows(db).await?;
                created
            }
        };
        let now = now_millis();
        let public = rows
            .into_iter()
            .filter(|r| self.retires_at(r.created_at, r.retired_at) + self.grace_ms > now)
            .map(|r| PublicJwk::ed25519(r.kid, r.public_key))
            .collect();
        Ok(Loaded { signer: Arc::new(signer), public: Arc::new(PublishedKeys::new(public)), at: Instant::now() })
    }

    /// When a key stops signing: when it was retired, at the latest at the
    /// end of its rotation interval.
    fn retires_at(&self, created_at: i64, retired_at: Option<i64>) -> i64 {
        let scheduled = created_at.saturating_add(self.rotation_ms);
        retired_at.map_or(scheduled, |at| at.min(scheduled))
    }

    /// `backend keys rotate`: a new key signs from now on; the others retire
    /// now (published for the grace period). Returns the new key's id.
    pub(crate) async fn rotate(&self, db: &Db) -> Result<String, sqlx::Error> {
        Ok(self.create(db, true).await?.kid)
    }

    /// `backend keys revoke <kid>`: the key leaves `/jwks` and stops
    /// verifying. False if there is no such unrevoked key.
    pub(crate) async fn revoke(&self, db: &Db, kid: &str) -> Result<bool, sqlx::Error> {
        let now = now_millis();
        let sql = "UPDATE jwks SET revoked_at = $1, retired_at = COALESCE(retired_at, $1) \
                   WHERE id = $2 AND revoked_at IS NULL";
        let changed =
            on_db!(db, |pool| sqlx::query(sql).bind(now).bind(kid).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(changed == 1)
    }

    /// `backend keys list`: every stored key, newest first.
    pub(crate) async fn list(&self, db: &Db) -> Result<Vec<KeyInfo>, sqlx::Error> {
        let sql = "SELECT id, created_at, retired_at, revoked_at FROM jwks ORDER BY created_at DESC";
        let rows: Vec<(String, i64, Option<i64>, Option<i64>)> =
            on_db!(db, |pool| sqlx::query_as(sql).fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .map(|(kid, created_at, retired_at, revoked_at)| {
                let retires_at = self.retires_at(created_at, retired_at);
                let published_until = revoked_at.unwrap_or(retires_at + self.grace_ms);
                KeyInfo { kid, created_at, retires_at, published_until, revoked_at }
            })
            .collect())
    }

    /// In a write transaction: re-check (another replica may have just
    /// created a key) unless `force`, drop keys past their grace period,
    /// retire the others and create one.
    async fn create(&self, db: &Db, force: bool) -> Result<Signer, sqlx::Error> {
        let engine = db.engine();
        on_db!(db, |pool| {
            let mut conn = pool.acquire().await?;
            conn.execute(begin_write(engine)).await?;
            let created = async {
                if engine == Engine::Postgres {
                    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(KEY_LOCK).execute(&mut *conn).await?;
                }
                let rows: Vec<RowTuple> = sqlx::query_as(SELECT_KEYS).fetch_all(&mut *conn).await?;
                let current = self.pick_signer(&rows.into_iter().map(Row::from).collect::<Vec<_>>());
                if let Some(signer) = current.filter(|_| !force) {
                    return Ok(signer);
                }
                let now = now_millis();
                // Past its grace period (counted from retirement): gone.
                sqlx::query(
                    "DELETE FROM jwks WHERE CASE WHEN retired_at IS NOT NULL AND retired_at < created_at + $1 \
                     THEN retired_at ELSE created_at + $1 END + $2 <= $3",
                )
                .bind(self.rotation_ms)
                .bind(self.grace_ms)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                // Whatever signed until now (or could not be decrypted) retires now.
                sqlx::query("UPDATE jwks SET retired_at = $1 WHERE retired_at IS NULL")
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                let mut seed = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut seed);
                let key = SigningKey::from_bytes(&seed);
                let kid = random_id();
                sqlx::query("INSERT INTO jwks (id, public_key, private_key, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(&kid)
                    .bind(b64(key.verifying_key().as_bytes()))
                    .bind(encrypt(self.secrets.current(), &seed))
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                tracing::info!(kid = %kid, "created a new JWT signing key");
                Ok(Signer { kid, key, created_at: now })
            }
            .await;
            finish(conn, created).await
        })
    }

    /// The newest key still inside its rotation interval that one of our
    /// secrets can decrypt.
    fn pick_signer(&self, rows: &[Row]) -> Option<Signer> {
        let now = now_millis();
        for row in rows.iter().filter(|r| r.retired_at.is_none() && r.created_at + self.rotation_ms > now) {
            let seed = self.secrets.all().find_map(|s| decrypt(s, &row.private_key));
            match seed.as_deref().and_then(|s| <[u8; 32]>::try_from(s).ok()) {
                Some(seed) => {
                    let key = SigningKey::from_bytes(&seed);
                    if unb64(&row.public_key).as_deref() == Some(key.verifying_key().as_bytes().as_slice()) {
                        return Some(Signer { kid: row.kid.clone(), key, created_at: row.created_at });
                    }
                    tracing::error!(kid = %row.kid, "stored private key does not match its public key; skipping it");
                }
                None => tracing::warn!(
                    kid = %row.kid,
                    "signing key cannot be decrypted with the configured secrets (was BETTER_AUTH_SECRET \
                     changed without listing the old one in BETTER_AUTH_PREVIOUS_SECRETS?); a new signing key \
                     will be used, the old public key stays published for its grace period"
                ),
            }
        }
        None
    }
}

/// The keys that may sign or verify: revoked ones never do.
const SELECT_KEYS: &str = "SELECT id, public_key, private_key, created_at, retired_at FROM jwks \
                           WHERE revoked_at IS NULL ORDER BY created_at DESC";

type RowTuple = (String, String, String, i64, Option<i64>);

impl From<RowTuple> for Row {
    fn from((kid, public_key, private_key, created_at, retired_at): RowTuple) -> Self {
        Row { kid, public_key, private_key, created_at, retired_at }
    }
}

async fn read_rows(db: &Db) -> Result<Vec<Row>, sqlx::Error> {
    let rows: Vec<RowTuple> = on_db!(db, |pool| sqlx::query_as(SELECT_KEYS).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(Row::from).collect())
}
