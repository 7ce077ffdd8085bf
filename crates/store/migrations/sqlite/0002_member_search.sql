-- Member search matches any part of a name, login, phone, email or employee number. A trigram
-- full-text index answers those LIKE '%...%' queries without reading every member.
CREATE VIRTUAL TABLE member_search USING fts5 (search, content = 'members', content_rowid = 'rowid', tokenize = 'trigram');

CREATE TRIGGER members_search_insert AFTER INSERT ON members BEGIN
    INSERT INTO member_search (rowid, search) VALUES (new.rowid, new.search);
END;

CREATE TRIGGER members_search_delete AFTER DELETE ON members BEGIN
    INSERT INTO member_search (member_search, rowid, search) VALUES ('delete', old.rowid, old.search);
END;

CREATE TRIGGER members_search_update AFTER UPDATE OF search ON members BEGIN
    INSERT INTO member_search (member_search, rowid, search) VALUES ('delete', old.rowid, old.search);
    INSERT INTO member_search (rowid, search) VALUES (new.rowid, new.search);
END;

INSERT INTO member_search (member_search) VALUES ('rebuild');
