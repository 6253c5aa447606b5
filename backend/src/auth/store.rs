//! The auth server's SQL: users, credential accounts and sessions. Bound
//! parameters only; the same statements run on SQLite and PostgreSQL.

use crate::clock::iso8601;
use crate::db::Db;
use crate::{on_db, write_db, write_tx};
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
    let (user, password_hash) = (user.clone(), password_hash.to_owned());
    write_tx!(db, |conn| {
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
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO account (id, account_id, provider_id, user_id, password, created_at, updated_at) \
         VALUES ($1, $2, 'credential', $3, $4, $5, $6)",
        )
        .bind(super::crypto::random_id())
        .bind(&user.id)
        .bind(&user.id)
        .bind(&password_hash)
        .bind(user.created_at)
        .bind(user.updated_at)
        .execute(&mut *conn)
        .await
        .map(|_| ())
    })
}

pub async fn create_session(db: &Db, session: &SessionRow, token_hash: &str) -> Result<(), sqlx::Error> {
    let (session, token_hash) = (session.clone(), token_hash.to_owned());
    write_db!(db, |exec| {
        sqlx::query(
        "INSERT INTO session (id, token_hash, user_id, expires_at, remember, ip_address, user_agent, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&session.id)
    .bind(&token_hash)
    .bind(&session.user_id)
    .bind(session.expires_at)
    .bind(session.remember)
    .bind(session.ip_address.clone())
    .bind(session.user_agent.clone())
    .bind(session.created_at)
    .bind(session.updated_at)
    .execute(exec)
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
    let id = id.to_owned();
    write_db!(db, |exec| sqlx::query("UPDATE session SET expires_at = $1, updated_at = $2 WHERE id = $3")
        .bind(expires_at)
        .bind(now)
        .bind(&id)
        .execute(exec)
        .await
        .map(|_| ()))
}

pub async fn delete_session(db: &Db, id: &str) -> Result<(), sqlx::Error> {
    let id = id.to_owned();
    write_db!(db, |exec| sqlx::query("DELETE FROM session WHERE id = $1").bind(&id).execute(exec).await.map(|_| ()))
}

/// Housekeeping: expired sessions are useless and only grow the table.
pub async fn delete_expired_sessions(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    write_db!(db, |exec| Ok(sqlx::query("DELETE FROM session WHERE expires_at <= $1")
        .bind(now)
        .execute(exec)
        .await?
        .rows_affected()))
}

/// The credential account's password hash, if the user has one.
pub async fn password_of(db: &Db, user_id: &str) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(Option<String>,)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT password FROM account WHERE user_id = $1 AND provider_id = 'credential'"
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await)?;
    Ok(row.and_then(|(password,)| password))
}

/// Sets the credential account's password hash and, with `end_sessions`,
/// deletes every session of the user in the same transaction: no session
/// opened with the old password outlives the change.
pub async fn set_password(
    db: &Db,
    user_id: &str,
    password_hash: &str,
    end_sessions: bool,
    now: i64,
) -> Result<(), sqlx::Error> {
    let (user_id, password_hash) = (user_id.to_owned(), password_hash.to_owned());
    write_tx!(db, |conn| {
        sqlx::query(
            "UPDATE account SET password = $1, updated_at = $2 WHERE user_id = $3 AND provider_id = 'credential'",
        )
        .bind(&password_hash)
        .bind(now)
        .bind(&user_id)
        .execute(&mut *conn)
        .await?;
        if end_sessions {
            sqlx::query("DELETE FROM session WHERE user_id = $1").bind(&user_id).execute(&mut *conn).await?;
        }
        Ok(())
    })
}

type SessionTuple = (String, String, i64, bool, Option<String>, Option<String>, i64, i64);

/// The user's unexpired sessions, newest first.
pub async fn sessions_of(db: &Db, user_id: &str, now: i64) -> Result<Vec<SessionRow>, sqlx::Error> {
    let rows: Vec<SessionTuple> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, user_id, expires_at, remember, ip_address, user_agent, created_at, updated_at FROM session \
         WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, id DESC"
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(id, user_id, expires_at, remember, ip_address, user_agent, created_at, updated_at)| SessionRow {
            id,
            user_id,
            expires_at,
            remember,
            ip_address,
            user_agent,
            created_at,
            updated_at,
        })
        .collect())
}

/// Deletes the user's session with this id; someone else's id deletes nothing.
pub async fn delete_session_of(db: &Db, user_id: &str, session_id: &str) -> Result<u64, sqlx::Error> {
    let (user_id, session_id) = (user_id.to_owned(), session_id.to_owned());
    write_db!(db, |exec| Ok(sqlx::query("DELETE FROM session WHERE id = $1 AND user_id = $2")
        .bind(&session_id)
        .bind(&user_id)
        .execute(exec)
        .await?
        .rows_affected()))
}

/// Deletes every session of the user but `keep` (all of them without one).
pub async fn delete_sessions_of(db: &Db, user_id: &str, keep: Option<&str>) -> Result<u64, sqlx::Error> {
    let (user_id, keep) = (user_id.to_owned(), keep.unwrap_or_default().to_owned());
    write_db!(db, |exec| Ok(sqlx::query("DELETE FROM session WHERE user_id = $1 AND id <> $2")
        .bind(&user_id)
        .bind(&keep)
        .execute(exec)
        .await?
        .rows_affected()))
}

/// What `update-user` may change; `image: Some(None)` clears the image.
pub struct ProfileChange {
    pub name: Option<String>,
    pub image: Option<Option<String>>,
}

pub async fn update_profile(db: &Db, user_id: &str, change: &ProfileChange, now: i64) -> Result<(), sqlx::Error> {
    let set_image = change.image.is_some();
    let (image, name, user_id) = (change.image.clone().flatten(), change.name.clone(), user_id.to_owned());
    write_db!(db, |exec| sqlx::query(
        "UPDATE \"user\" SET name = COALESCE($1, name), image = CASE WHEN $2 THEN $3 ELSE image END, \
         updated_at = $4 WHERE id = $5"
    )
    .bind(name)
    .bind(set_image)
    .bind(image)
    .bind(now)
    .bind(&user_id)
    .execute(exec)
    .await
    .map(|_| ()))
}

/// Deletes the user and everything that is theirs — tasks and their counts,
/// pending reset and verification tokens, sessions, accounts — in one
/// transaction.
pub async fn delete_user(db: &Db, user_id: &str) -> Result<(), sqlx::Error> {
    const STATEMENTS: [&str; 6] = [
        "DELETE FROM tasks WHERE user_id = $1",
        "DELETE FROM verification WHERE user_id = $1",
        "DELETE FROM task_counts WHERE user_id = $1",
        "DELETE FROM session WHERE user_id = $1",
        "DELETE FROM account WHERE user_id = $1",
        "DELETE FROM \"user\" WHERE id = $1",
    ];
    let user_id = user_id.to_owned();
    write_tx!(db, |conn| {
        for sql in STATEMENTS {
            sqlx::query(sql).bind(&user_id).execute(&mut *conn).await?;
        }
        Ok(())
    })
}

/// What a single-use token in `verification` is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    ResetPassword,
    VerifyEmail,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::ResetPassword => "reset-password",
            Purpose::VerifyEmail => "email-verification",
        }
    }
}

/// A token to issue with its mail.
pub struct NewToken<'a> {
    pub user_id: &'a str,
    pub purpose: Purpose,
    pub token_hash: String,
    pub expires_at: i64,
}

/// Queues a mail (sealed, see `outbox::seal`) with its token in one
/// transaction. Without a token (an unknown email) the same statement
/// queues a row that sends nothing, so both answers cost one transaction.
pub async fn queue_mail(
    db: &Db,
    token: Option<&NewToken<'_>>,
    sealed: Option<String>,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    let token = token.map(|t| (t.purpose, t.token_hash.clone(), t.user_id.to_owned(), t.expires_at));
    write_tx!(db, |conn| {
        if let Some((purpose, token_hash, user_id, token_expires_at)) = &token {
            sqlx::query(
                "INSERT INTO verification (id, purpose, token_hash, user_id, expires_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(super::crypto::random_id())
            .bind(purpose.as_str())
            .bind(token_hash)
            .bind(user_id)
            .bind(*token_expires_at)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        }
        sqlx::query(super::outbox::INSERT).bind(sealed).bind(now).bind(expires_at).execute(&mut *conn).await.map(|_| ())
    })
}

/// The user a live token belongs to, without using it up.
pub async fn token_owner(db: &Db, purpose: Purpose, token_hash: &str, now: i64) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT user_id FROM verification WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3"
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(|(id,)| id))
}

/// How using a token went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Used {
    /// It was live; here is its user (the change is committed).
    Done {
        user_id: String,
    },
    Expired,
    Invalid,
}

/// Uses up a password-reset token: in one transaction the token is deleted,
/// the password set and every session of the user deleted.
pub async fn reset_password(db: &Db, token_hash: &str, password_hash: &str, now: i64) -> Result<Used, sqlx::Error> {
    let password_hash = password_hash.to_owned();
    let token_hash = token_hash.to_owned();
    write_tx!(db, |conn| {
        // fetch_all: a statement with RETURNING must run to its end (above).
        let row: Option<(String, i64)> = sqlx::query_as(
            "DELETE FROM verification WHERE token_hash = $1 AND purpose = $2 RETURNING user_id, expires_at",
        )
        .bind(&token_hash)
        .bind(Purpose::ResetPassword.as_str())
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .next();
        let used = match row {
            None => Used::Invalid,
            Some((_, expires_at)) if expires_at <= now => Used::Expired,
            Some((user_id, _)) => {
                sqlx::query(
                    "UPDATE account SET password = $1, updated_at = $2 WHERE user_id = $3 AND provider_id = 'credential'",
                )
                .bind(&password_hash)
                .bind(now)
                .bind(&user_id)
                .execute(&mut *conn)
                .await?;
                sqlx::query("DELETE FROM session WHERE user_id = $1").bind(&user_id).execute(&mut *conn).await?;
                Used::Done { user_id }
            }
        };
        Ok(used)
    })
}

/// Uses up an email-verification token and marks the email verified.
pub async fn verify_email(db: &Db, token_hash: &str, now: i64) -> Result<Used, sqlx::Error> {
    let token_hash = token_hash.to_owned();
    write_tx!(db, |conn| {
        // fetch_all: a statement with RETURNING must run to its end (above).
        let row: Option<(String, i64)> = sqlx::query_as(
            "DELETE FROM verification WHERE token_hash = $1 AND purpose = $2 RETURNING user_id, expires_at",
        )
        .bind(&token_hash)
        .bind(Purpose::VerifyEmail.as_str())
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .next();
        let used = match row {
            None => Used::Invalid,
            Some((_, expires_at)) if expires_at <= now => Used::Expired,
            Some((user_id, _)) => {
                sqlx::query("UPDATE \"user\" SET email_verified = TRUE, updated_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(&user_id)
                    .execute(&mut *conn)
                    .await?;
                Used::Done { user_id }
            }
        };
        Ok(used)
    })
}

/// The user with this id, if any.
pub async fn user_by_id(db: &Db, user_id: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS} FROM \"user\" u WHERE u.id = $1");
    let row: Option<UserTuple> = on_db!(db, |pool| sqlx::query_as(&sql).bind(user_id).fetch_optional(pool).await)?;
    Ok(row.map(UserRow::from))
}

/// Housekeeping: expired tokens are useless.
pub async fn delete_expired_tokens(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    write_db!(db, |exec| Ok(sqlx::query("DELETE FROM verification WHERE expires_at <= $1")
        .bind(now)
        .execute(exec)
        .await?
        .rows_affected()))
}
