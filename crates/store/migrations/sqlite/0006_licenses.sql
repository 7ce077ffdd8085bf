-- Licenses: the edition catalogue, one seat pool per licensed organization, and each member's
-- standing in a pool. postgres/0006 is the same but for SQLite's WITHOUT ROWID on `seats`.

CREATE TABLE editions (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    seat_limited INTEGER NOT NULL CHECK (seat_limited IN (0, 1)),
    auto_default INTEGER NOT NULL CHECK (auto_default IN (0, 1)),
    auto_locked INTEGER NOT NULL CHECK (auto_locked IN (0, 1)),
    downstream INTEGER NOT NULL CHECK (downstream IN (0, 1)),
    max_networks BIGINT NOT NULL CHECK (max_networks >= 0)
);
INSERT INTO editions (key, name, seat_limited, auto_default, auto_locked, downstream, max_networks) VALUES
    ('trial', 'Trial', 0, 1, 1, 0, 0),
    ('free', 'Free', 1, 0, 0, 0, 0),
    ('light', 'Light', 1, 0, 0, 0, 0),
    ('standard', 'Standard', 1, 0, 0, 0, 0),
    ('exclusive', 'Exclusive', 1, 0, 0, 1, 3),
    ('professional', 'Professional', 0, 1, 0, 0, 0),
    ('education', 'Education', 0, 1, 0, 0, 0),
    ('education_standard', 'Education standard', 1, 0, 0, 0, 0),
    ('education_exclusive', 'Education exclusive', 1, 0, 0, 0, 0),
    ('district', 'District', 0, 1, 0, 0, 0);

-- The pool of a licensed organization. `assigned` moves only by conditional updates in the same
-- transaction as the seat itself, and the CHECK makes an overdrawn pool impossible.
CREATE TABLE seat_pools (
    org_id TEXT PRIMARY KEY REFERENCES organizations (id),
    edition TEXT NOT NULL REFERENCES editions (key),
    -- NULL for unlimited editions.
    purchased BIGINT,
    assigned BIGINT NOT NULL DEFAULT 0,
    auto_on INTEGER NOT NULL CHECK (auto_on IN (0, 1)),
    auto_by_admin INTEGER NOT NULL CHECK (auto_by_admin IN (0, 1)),
    -- The usage warning level last reached (0, 80 or 100), so each crossing warns once.
    warned_level BIGINT NOT NULL DEFAULT 0,
    CHECK (assigned >= 0),
    CHECK (purchased IS NULL OR assigned <= purchased)
);

-- One row per member and pool: a member holds at most one seat of a pool. One B-tree only, so a
-- batch of 100,000 seats writes one index.
CREATE TABLE seats (
    pool_id TEXT NOT NULL REFERENCES organizations (id),
    member_id TEXT NOT NULL REFERENCES members (id),
    -- The member's own organization: the pool's, or a network unit's.
    org_id TEXT NOT NULL REFERENCES organizations (id),
    status TEXT NOT NULL CHECK (status IN ('enabled', 'frozen', 'unauthorized')),
    reason TEXT NOT NULL,
    changed_at BIGINT NOT NULL,
    -- Member first: a departure finds its seats, and a pool's lookups name the members.
    PRIMARY KEY (member_id, pool_id)
) WITHOUT ROWID;

-- Enabled seats per pool and holding organization (the pool's own, or a unit's), kept by the same
-- statements that move seats, so the dashboard's breakdown reads a few rows at any size.
CREATE TABLE seat_usage (
    pool_id TEXT NOT NULL REFERENCES organizations (id),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    assigned BIGINT NOT NULL CHECK (assigned >= 0),
    PRIMARY KEY (pool_id, org_id)
);

-- "Partner intelligent entry": members of a unit's department (and below), present and future,
-- get seats from the backbone's pool while it has room.
CREATE TABLE seat_entry_rules (
    pool_id TEXT NOT NULL REFERENCES organizations (id),
    unit_id TEXT NOT NULL REFERENCES units (id),
    department_id TEXT NOT NULL REFERENCES departments (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (pool_id, department_id)
);
CREATE INDEX seat_entry_rules_unit ON seat_entry_rules (unit_id);
