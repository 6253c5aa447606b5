-- Single-use tokens of password resets and email verification. Only a
-- SHA-256 of each token is stored; a row is deleted when it is used.
CREATE TABLE verification (
    id         TEXT PRIMARY KEY,
    purpose    TEXT   NOT NULL,
    token_hash TEXT   NOT NULL UNIQUE,
    user_id    TEXT   NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX verification_user_idx ON verification (user_id, purpose);
CREATE INDEX verification_expires_idx ON verification (expires_at);
-- Mail waiting to be sent, written in the same transaction as its token and
-- sent by a background worker (backend/src/mail). `message` is the mail,
-- encrypted with the auth secret so the database never holds a usable link;
-- NULL marks a request for an unknown email, which sends nothing. A worker
-- claims a row by moving `next_attempt_at` past its lease.
CREATE TABLE mail_outbox (
    id              BIGSERIAL PRIMARY KEY,
    message         TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL,
    created_at      BIGINT  NOT NULL,
    last_error      TEXT
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at);
