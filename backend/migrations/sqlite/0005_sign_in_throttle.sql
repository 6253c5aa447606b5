-- The per-account sign-in throttle (DESIGN §10): consecutive failed
-- sign-ins per normalised email, kept here so the count holds across client
-- IPs and replicas. Keyed by a SHA-256 of the email, so the guesses made for
-- addresses that have no account leave no readable list behind; unknown
-- emails are counted exactly like known ones. A success deletes the row.
CREATE TABLE sign_in_throttle (
    email_hash   TEXT   PRIMARY KEY,
    failures     BIGINT NOT NULL,
    backoff_ms   BIGINT NOT NULL,
    locked_until BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX sign_in_throttle_updated_at ON sign_in_throttle (updated_at);
