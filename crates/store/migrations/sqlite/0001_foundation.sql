-- Portable SQL for both databases (postgres/0001 is a link to this file): TEXT ids, BIGINT epoch-millisecond times,
-- INTEGER 0/1 booleans. Append-only: never edit a migration that has shipped.

CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    certification TEXT NOT NULL CHECK (certification IN ('unverified', 'pending', 'certified', 'revoked')),
    edition TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    phone TEXT,
    email TEXT,
    password_hash TEXT,
    operator INTEGER NOT NULL DEFAULT 0 CHECK (operator IN (0, 1)),
    disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    lang TEXT NOT NULL DEFAULT 'en',
    created_at BIGINT NOT NULL
);

CREATE TABLE members (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    title TEXT,
    employee_no TEXT,
    supervisor_id TEXT REFERENCES members (id),
    status TEXT NOT NULL CHECK (status IN ('active', 'left')),
    role TEXT NOT NULL DEFAULT 'member',
    -- Lowercased name, login, phone, email and employee number, for one substring search.
    search TEXT NOT NULL,
    joined_at BIGINT NOT NULL,
    left_at BIGINT,
    UNIQUE (org_id, account_id),
    UNIQUE (org_id, employee_no)
);
CREATE INDEX members_org_name ON members (org_id, name, id);
CREATE INDEX members_account ON members (account_id);
CREATE INDEX members_supervisor ON members (supervisor_id);

CREATE TABLE departments (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    parent_id TEXT REFERENCES departments (id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX departments_org_parent ON departments (org_id, parent_id);

CREATE TABLE member_departments (
    member_id TEXT NOT NULL REFERENCES members (id),
    department_id TEXT NOT NULL REFERENCES departments (id),
    PRIMARY KEY (member_id, department_id)
);
CREATE INDEX member_departments_department ON member_departments (department_id, member_id);

CREATE TABLE department_heads (
    department_id TEXT NOT NULL REFERENCES departments (id),
    member_id TEXT NOT NULL REFERENCES members (id),
    PRIMARY KEY (department_id, member_id)
);
CREATE INDEX department_heads_member ON department_heads (member_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    org_id TEXT REFERENCES organizations (id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_used_at BIGINT
);
CREATE INDEX tokens_account ON tokens (account_id);

-- Failed sign-in counters per account and per address; one atomic upsert per failure.
CREATE TABLE throttle (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    window_start BIGINT NOT NULL
);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    org_id TEXT REFERENCES organizations (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_account ON notifications (account_id, created_at);

CREATE TABLE journal (
    revision BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    org_id TEXT,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX journal_org ON journal (org_id, revision);
CREATE INDEX journal_at ON journal (at);

CREATE TABLE idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER,
    body TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
