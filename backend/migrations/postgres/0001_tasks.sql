-- Tasks belong to the token's `sub`; no foreign key to "user" because with an
-- external Better Auth server the users live elsewhere. Times are Unix ms UTC.
CREATE TABLE tasks (
    id          BIGSERIAL PRIMARY KEY,
    user_id     TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    completed   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
-- A user's list, newest first, stays an index range scan at any table size.
CREATE INDEX tasks_user_created ON tasks (user_id, created_at, id);
