-- Better Auth's tables (user, account, session, jwks). Times are Unix ms UTC.
CREATE TABLE "user" (
    id             TEXT PRIMARY KEY,
    name           TEXT    NOT NULL,
    email          TEXT    NOT NULL UNIQUE,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    image          TEXT,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL
);
-- One user, many credentials: the password lives on the 'credential' account.
CREATE TABLE account (
    id          TEXT PRIMARY KEY,
    account_id  TEXT   NOT NULL,
    provider_id TEXT   NOT NULL,
    user_id     TEXT   NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    password    TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (provider_id, account_id)
);
CREATE INDEX account_user_idx ON account (user_id);
-- Only a SHA-256 of the session token is stored.
CREATE TABLE session (
    id         TEXT PRIMARY KEY,
    token_hash TEXT    NOT NULL UNIQUE,
    user_id    TEXT    NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    expires_at BIGINT  NOT NULL,
    remember   BOOLEAN NOT NULL DEFAULT TRUE,
    ip_address TEXT,
    user_agent TEXT,
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL
);
CREATE INDEX session_user_idx ON session (user_id);
CREATE INDEX session_expires_idx ON session (expires_at);
-- Signing keys shared by every replica; private keys encrypted at rest.
CREATE TABLE jwks (
    id          TEXT PRIMARY KEY,
    public_key  TEXT   NOT NULL,
    private_key TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);
