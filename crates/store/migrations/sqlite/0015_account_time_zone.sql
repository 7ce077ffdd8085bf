-- The time zone a person reads times in (a tz database name); none until they or their browser choose.
ALTER TABLE accounts ADD COLUMN time_zone TEXT;
