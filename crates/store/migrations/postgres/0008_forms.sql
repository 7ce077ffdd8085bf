-- As sqlite/0008_forms.sql, with BYTEA for the attachments' bytes. Form apps: each schema change
-- is a new version and a submission keeps the version it was made in. Attachment bytes live in
-- the database on both backends, so a submission and its files are written in one transaction.

CREATE TABLE app_versions (
    app_id TEXT NOT NULL REFERENCES apps (id),
    version BIGINT NOT NULL,
    -- JSON: {"fields": [...]}, checked by the domain's form rules before it is stored.
    schema TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, version)
);

CREATE TABLE submissions (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    member_id TEXT NOT NULL REFERENCES members (id),
    -- The submitter's organization and, when they came through a network, their unit.
    org_id TEXT NOT NULL REFERENCES organizations (id),
    unit_id TEXT REFERENCES units (id),
    -- JSON array of the submitter's departments when they submitted (the "unit" scope on the backbone).
    departments TEXT NOT NULL,
    -- JSON object: field key to normalized value.
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    FOREIGN KEY (app_id, version) REFERENCES app_versions (app_id, version)
);
CREATE INDEX submissions_app ON submissions (app_id, created_at, id);
CREATE INDEX submissions_member ON submissions (member_id);

CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps (id),
    -- Who uploaded it; until a submission names it, only they may use it.
    member_id TEXT NOT NULL REFERENCES members (id),
    submission_id TEXT REFERENCES submissions (id),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_submission ON attachments (submission_id);

-- Apps made before forms existed start with an empty form.
INSERT INTO app_versions (app_id, version, schema, created_at)
SELECT id, 1, '{"fields":[]}', created_at FROM apps;
