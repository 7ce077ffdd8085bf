-- When the clock next has something to do for a running request (remind or escalate its
-- waiting approvers); NULL when nothing waits for it. The sweep reads only the due ones.
ALTER TABLE approval_instances ADD COLUMN due_at BIGINT;
CREATE INDEX approval_instances_due ON approval_instances (due_at);

-- A member away hands the approval tasks that open for them between these times to a delegate.
CREATE TABLE approval_delegations (
    member_id TEXT PRIMARY KEY REFERENCES members (id),
    delegate_id TEXT NOT NULL REFERENCES members (id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    CHECK (ends_at > starts_at)
);

-- A file uploaded to an approval request, for a comment on it; readable by whoever reads the
-- request. Such a file never joins a submission.
ALTER TABLE attachments ADD COLUMN approval_id TEXT REFERENCES approval_instances (id);
