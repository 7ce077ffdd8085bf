-- Member search matches any part of a name, login, phone, email or employee number. A trigram
-- GIN index answers those LIKE '%...%' queries without reading every member. The extension
-- lives in `public` so every schema (and every test schema) finds the same one.
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
CREATE INDEX members_search_trgm ON members USING gin (search public.gin_trgm_ops);
