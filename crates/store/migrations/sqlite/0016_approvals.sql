-- Approval templates, versioned per app: a running instance keeps the version it started with,
-- so publishing a new version never changes it.
CREATE TABLE approval_templates (
    app_id TEXT NOT NULL REFERENCES apps (id),
    version BIGINT NOT NULL,
    -- JSON: the template's nodes and copy-to rules.
    body TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, version)
);

-- One submission's way through its template's plan.
CREATE TABLE approval_instances (
    id TEXT PRIMARY KEY,
    -- The organization whose app it is: its approval admins and journal.
    org_id TEXT NOT NULL REFERENCES organizations (id),
    app_id TEXT NOT NULL,
    template_version BIGINT NOT NULL,
    submission_id TEXT NOT NULL UNIQUE REFERENCES submissions (id),
    submitter_id TEXT NOT NULL REFERENCES members (id),
    state TEXT NOT NULL CHECK (state IN ('pending', 'returned', 'approved', 'rejected', 'withdrawn')),
    -- JSON: the plan, the current step, its approvers and approvals.
    body TEXT NOT NULL,
    -- Bumped by every action: a write that read an older revision changes nothing.
    revision BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    FOREIGN KEY (app_id, template_version) REFERENCES approval_templates (app_id, version)
);
CREATE INDEX approval_instances_submitter ON approval_instances (submitter_id, updated_at, id);

-- Who is asked now, and who was ever asked or copied: the inboxes read these.
CREATE TABLE approval_people (
    instance_id TEXT NOT NULL REFERENCES approval_instances (id),
    member_id TEXT NOT NULL,
    -- 'task': an open task now; 'done': decided or asked before; 'copy': told of it.
    kind TEXT NOT NULL CHECK (kind IN ('task', 'done', 'copy')),
    at BIGINT NOT NULL,
    PRIMARY KEY (instance_id, member_id, kind)
);
CREATE INDEX approval_people_member ON approval_people (member_id, kind, at, instance_id);
