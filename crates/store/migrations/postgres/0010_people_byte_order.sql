-- The network address book sorts names in byte order (COLLATE "C"), as the in-memory people
-- index does, so a page from one and the next page from the other agree whatever the server's
-- locale; its walk by name needs an index in that order.
DROP INDEX members_name;
CREATE INDEX members_name ON members (name COLLATE "C", id);
