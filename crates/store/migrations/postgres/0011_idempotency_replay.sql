-- A replay answers with the first answer's Content-Type and journal revision; rows expire after
-- a day, found by their age.
ALTER TABLE idempotency ADD COLUMN content_type TEXT;
ALTER TABLE idempotency ADD COLUMN revision BIGINT;
CREATE INDEX idempotency_created ON idempotency (created_at);
