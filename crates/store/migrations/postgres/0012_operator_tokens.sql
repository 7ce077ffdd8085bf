-- The platform operator's API tokens act in no organization: `org_id` may be NULL.
ALTER TABLE tokens ALTER COLUMN org_id DROP NOT NULL;
