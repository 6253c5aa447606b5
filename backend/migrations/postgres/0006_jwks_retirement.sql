-- Signing keys retire explicitly (DESIGN §10): `retired_at` is when a key
-- stopped signing (a rotation, `backend keys rotate`, or a key that could
-- not be decrypted); its public half stays in /jwks for JWKS_GRACE_PERIOD
-- after that, not after the end of its rotation interval. `revoked_at`
-- (`backend keys revoke <kid>`) takes it out of /jwks and the guard at once.
ALTER TABLE jwks ADD COLUMN retired_at BIGINT;
ALTER TABLE jwks ADD COLUMN revoked_at BIGINT;
