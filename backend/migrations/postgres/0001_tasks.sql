-- Booleans are 0/1 INTEGERs, as on SQLite, so one query decodes on both.
-- Tasks belong to the token's `sub`; no foreign key to "user" because with an
-- external Better Auth server the users live elsewhere. Times are Unix ms UTC.
CREATE TABLE tasks (
    id          BIGSERIAL PRIMARY KEY,
    user_id     TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    completed   INTEGER NOT NULL DEFAULT 0 CHECK (completed IN (0, 1)),
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
-- A user's list, newest first, stays an index range scan at any table size.
CREATE INDEX tasks_user_created ON tasks (user_id, created_at, id);
