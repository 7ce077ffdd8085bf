-- Apps, their permission groups and their publications to networks (portable: postgres/0007 links
-- here). Decisions are made by the in-memory access index over these rows and the directory's.

CREATE TABLE apps (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE permission_groups (
    app_id TEXT NOT NULL REFERENCES apps (id),
    name TEXT NOT NULL,
    -- JSON arrays: rights (`submit`, `view_own`, ...) and principals ({"kind": ..., "id": ...}).
    rights TEXT NOT NULL,
    principals TEXT NOT NULL,
    PRIMARY KEY (app_id, name)
);

CREATE TABLE publications (
    app_id TEXT NOT NULL REFERENCES apps (id),
    network_id TEXT NOT NULL REFERENCES networks (id),
    -- JSON: {"kind": "all_units" | "partner_types" | "units" | "departments", "ids": [...]}.
    audience TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, network_id)
);
CREATE INDEX publications_network ON publications (network_id);
