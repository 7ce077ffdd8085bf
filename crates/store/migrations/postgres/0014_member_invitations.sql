-- An existing account added to another organization is invited first: the membership exists only
-- once the person accepts. What the admin chose (name, title, departments...) waits here until then.
CREATE TABLE member_invitations (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    title TEXT,
    employee_no TEXT,
    supervisor_id TEXT,
    -- A JSON array of department ids.
    department_ids TEXT NOT NULL,
    invited_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'cancelled', 'expired')),
    decided_at BIGINT,
    -- The membership an acceptance created (written in the same transaction, so no foreign key
    -- to order the two inserts by).
    member_id TEXT
);
-- One open invitation per person and organization, even with two servers inviting at once.
CREATE UNIQUE INDEX member_invitations_pending ON member_invitations (org_id, account_id) WHERE status = 'pending';
CREATE INDEX member_invitations_account ON member_invitations (account_id, status);
