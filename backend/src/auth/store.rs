//! The auth server's SQL: users, credential accounts and sessions. Bound
//! parameters only; the same statements run on SQLite and PostgreSQL.

use crate::clock::iso8601;
use crate::db::Db;
use crate::on_db;
use shared::auth::{Session, User};

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub email_verified: bool,
    pub image: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

type UserTuple = (String, String, String, bool, Option<String>, i64, i64);
/// A user row followed by the credential account's password hash.
type UserWithPassword = (String, String, String, bool, Option<String>, i64, i64, Option<String>);
/// A session row's columns followed by its user's (`UserTuple`).
type SessionWithUser = (
    String,
    String,
    i64,
    bool,
    Option<String>,
    Option<String>,
    i64,
    i64,
    String,
    String,
    String,
    bool,
    Option<String>,
    i64,
    i64,
);

impl From<UserTuple> for UserRow {
    fn from((id, name, email, email_verified, image, created_at, updated_at): UserTuple) -> Self {
        Self { id, name, email, email_verified, image, created_at, updated_at }
    }
}

impl UserRow {
    pub fn to_dto(&self) -> User {
        User {
            id: self.id.clone(),
            name: self.name.clone(),
            email: self.email.clone(),
            email_verified: self.email_verified,
            image: self.image.clone(),
            created_at: iso8601(self.created_at),
            updated_at: iso8601(self.updated_at),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub expires_at: i64,
    pub remember: bool,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl SessionRow {
    pub fn to_dto(&self) -> Session {
        Session {
            id: self.id.clone(),
            user_id: self.user_id.clone(),
            expires_at: iso8601(self.expires_at),
            created_at: iso8601(self.created_at),
            updated_at: iso8601(self.updated_at),
            ip_address: self.ip_address.clone(),
            user_agent: self.user_agent.clone(),
        }
    }
}

const USER_COLUMNS: &str = "u.id, u.name, u.email, u.email_verified, u.image, u.created_at, u.updated_at";

/// The user with this (normalised) email and their password hash, if any.
pub async fn user_with_password(db: &Db, email: &str) -> Result<Option<(UserRow, Option<String>)>, sqlx::Error> {
    let sql = format!(
        "SELECT {USER_COLUMNS}, a.password FROM \"user\" u \
         LEFT JOIN account a ON a.user_id = u.id AND a.provider_id = 'credential' WHERE u.email = $1"
    );
    let row: Option<UserWithPassword> = on_db!(db, |pool| sqlx::query_as(&sql).bind(email).fetch_optional(pool).await)?;
    Ok(row.map(|(id, name, email, v, image, c, u, password)| {
        (UserRow::from((id, name, email, v, image, c, u)), password)
    }))
}

/// Inserts a user and their credential account in one transaction.
/// A duplicate email surfaces as a unique violation.
pub async fn create_user(db: &Db, user: &UserRow, password_hash: &str) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO \"user\" (id, name, email, email_verified, image, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&user.id)
        .bind(&user.name)
        .bind(&user.email)
        .bind(user.email_verified)
        .bind(user.image.clone())
        .bind(user.created_at)
        .bind(user.updated_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO account (id, account_id, provider_id, user_id, password, created_at, updated_at) \
         VALUES ($1, $2, 'credential', $3, $4, $5, $6)",
        )
        .bind(super::crypto::random_id())
        .bind(&user.id)
        .bind(&user.id)
        .bind(password_hash)
        .bind(user.created_at)
        .bind(user.updated_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    })
}

pub async fn create_session(db: &Db, session: &SessionRow, token_hash: &str) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query(
        "INSERT INTO session (id, token_hash, user_id, expires_at, remember, ip_address, user_agent, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&session.id)
    .bind(token_hash)
    .bind(&session.user_id)
    .bind(session.expires_at)
    .bind(session.remember)
    .bind(session.ip_address.clone())
    .bind(session.user_agent.clone())
    .bind(session.created_at)
    .bind(session.updated_at)
    .execute(pool)
    .await
    .map(|_| ())
    })
}

/// The session with this token hash and its user, expired or not.
pub async fn session_by_token_hash(db: &Db, token_hash: &str) -> Result<Option<(SessionRow, UserRow)>, sqlx::Error> {
    let sql = format!(
        "SELECT s.id, s.user_id, s.expires_at, s.remember, s.ip_address, s.user_agent, s.created_at, s.updated_at, \
         {USER_COLUMNS} FROM session s JOIN \"user\" u ON u.id = s.user_id WHERE s.token_hash = $1"
    );
    let row: Option<SessionWithUser> =
        on_db!(db, |pool| sqlx::query_as(&sql).bind(token_hash).fetch_optional(pool).await)?;
    Ok(row.map(
        |(
            id,
            user_id,
            expires_at,
            remember,
            ip_address,
            user_agent,
            created_at,
            updated_at,
            uid,
            name,
            email,
            v,
            image,
            c,
            u,
        )| {
            (
                SessionRow { id, user_id, expires_at, remember, ip_address, user_agent, created_at, updated_at },
                UserRow::from((uid, name, email, v, image, c, u)),
            )
        },
    ))
}

pub async fn extend_session(db: &Db, id: &str, expires_at: i64, now: i64) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| sqlx::query("UPDATE session SET expires_at = $1, updated_at = $2 WHERE id = $3")
        .bind(expires_at)
        .bind(now)
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ()))
}

pub async fn delete_session(db: &Db, id: &str) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| sqlx::query("DELETE FROM session WHERE id = $1").bind(id).execute(pool).await.map(|_| ()))
}

/// Housekeeping: expired sessions are useless and only grow the table.
pub async fn delete_expired_sessions(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    on_db!(db, |pool| Ok(sqlx::query("DELETE FROM session WHERE expires_at <= $1")
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected()))
}
