-- One-time links an administrator issues so a person without a password (an imported account, say)
-- can set one. Only the hash of the secret is kept; a link is used once or expires.
CREATE TABLE password_links (
    id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX password_links_account ON password_links (account_id);
