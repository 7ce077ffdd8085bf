-- The partner network (portable: postgres/0004 links here). A unit is a partner organization inside
-- one network; its departments and members are that organization's own.

-- Set for an organization created by a backbone to hold a managed unit's people.
ALTER TABLE organizations ADD COLUMN managed_by TEXT REFERENCES organizations (id);

CREATE TABLE networks (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    visibility TEXT NOT NULL CHECK (visibility IN ('own', 'same_type', 'all')),
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE partner_types (
    network_id TEXT NOT NULL REFERENCES networks (id),
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    -- JSON array of {"name", "policy"}.
    tiers TEXT NOT NULL,
    policy TEXT NOT NULL,
    PRIMARY KEY (network_id, key)
);

CREATE TABLE units (
    id TEXT PRIMARY KEY,
    network_id TEXT NOT NULL REFERENCES networks (id),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    partner_type TEXT NOT NULL,
    tier TEXT NOT NULL,
    -- JSON array of strings.
    tags TEXT NOT NULL,
    contract_start TEXT,
    contract_end TEXT,
    managed INTEGER NOT NULL CHECK (managed IN (0, 1)),
    status TEXT NOT NULL CHECK (status IN ('active', 'blocked', 'removed')),
    blocked_reason TEXT,
    joined_at BIGINT NOT NULL,
    removed_at BIGINT
);
-- An organization is at most once a live unit of a network; removed units stay for history.
CREATE UNIQUE INDEX units_network_org ON units (network_id, org_id) WHERE status <> 'removed';
CREATE INDEX units_org ON units (org_id, status);
CREATE INDEX units_network ON units (network_id, status, partner_type);

-- Backbone members who work with partners; only they (and partner admins) see partner people.
CREATE TABLE network_members (
    network_id TEXT NOT NULL REFERENCES networks (id),
    member_id TEXT NOT NULL REFERENCES members (id),
    added_at BIGINT NOT NULL,
    PRIMARY KEY (network_id, member_id)
);
CREATE INDEX network_members_member ON network_members (member_id);

CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    network_id TEXT NOT NULL REFERENCES networks (id),
    -- SHA-256 of the code: the code itself is shown once, to the inviter.
    code_hash TEXT NOT NULL UNIQUE,
    partner_name TEXT NOT NULL,
    target_org TEXT REFERENCES organizations (id),
    partner_type TEXT NOT NULL,
    tier TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'revoked')),
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    answered_at BIGINT,
    answered_by_org TEXT REFERENCES organizations (id),
    unit_id TEXT REFERENCES units (id)
);
CREATE INDEX invitations_network ON invitations (network_id, status, created_at);
-- One pending invitation per partner organization and network.
CREATE UNIQUE INDEX invitations_pending_target ON invitations (network_id, target_org)
    WHERE status = 'pending' AND target_org IS NOT NULL;

-- Docking persons: each unit has backbone-side contacts (the owner first) and partner-side ones.
CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    unit_id TEXT NOT NULL REFERENCES units (id),
    side TEXT NOT NULL CHECK (side IN ('backbone', 'partner')),
    member_id TEXT NOT NULL REFERENCES members (id),
    role TEXT NOT NULL,
    backup_id TEXT REFERENCES members (id),
    created_at BIGINT NOT NULL,
    UNIQUE (unit_id, side, role, member_id)
);
CREATE INDEX contacts_member ON contacts (member_id);
CREATE INDEX contacts_backup ON contacts (backup_id);
