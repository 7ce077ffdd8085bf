-- The network address book (portable: postgres/0005 links here).
-- Its broad pages walk every member in name order, from the cursor on, and keep those of the
-- network: (name, id) is that walk. Not led by status, so lookups that filter by status keep
-- their narrower indexes.
CREATE INDEX members_name ON members (name, id);
-- Each walked member's live unit in the network, by its organization: without the network in
-- the key, SQLite would read every unit of the network for every member.
CREATE INDEX units_org_network ON units (org_id, network_id, status);
