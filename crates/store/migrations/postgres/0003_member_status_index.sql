-- Member lists are nearly always filtered by status (the console shows active members by
-- default), in name order: one index serves the filter, the order and the page cursor. Lists
-- sort names in byte order (COLLATE "C") so pages agree whatever the server's locale; the
-- indexes must use the same collation for the planner to use them for that order.
CREATE INDEX members_org_status_name ON members (org_id, status, name COLLATE "C", id);
DROP INDEX members_org_name;
CREATE INDEX members_org_name ON members (org_id, name COLLATE "C", id);
