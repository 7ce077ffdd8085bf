-- Member lists are nearly always filtered by status (the console shows active members by
-- default), in name order: one index serves the filter, the order and the page cursor.
CREATE INDEX members_org_status_name ON members (org_id, status, name, id);
