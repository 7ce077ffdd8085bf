-- The platform operator's API tokens act in no organization: `org_id` may be NULL. SQLite cannot
-- drop a NOT NULL, so the table is made again with the same rows (nothing references it).
CREATE TABLE tokens_new (
    id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    org_id TEXT REFERENCES organizations (id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_used_at BIGINT
);
INSERT INTO tokens_new (id, secret_hash, account_id, org_id, name, created_at, expires_at, revoked_at, last_used_at)
    SELECT id, secret_hash, account_id, org_id, name, created_at, expires_at, revoked_at, last_used_at FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;
CREATE INDEX tokens_account ON tokens (account_id);
