-- What became of an import item, and of a job, is kept as codes, not as
-- sentences: the words are chosen when a page shows them (and in the
-- reader's language, one day). code is the reason (a verify problem code
-- such as "revoked", or one of the importer's own such as "nested-archive");
-- detail is what goes with it (the verifier's own explanation, or the
-- identity a pending badge was issued to). skip holds a code from now on.
-- Rows written before keep their sentence in message, shown as it is.
ALTER TABLE import_items ADD COLUMN code TEXT NOT NULL DEFAULT '';
ALTER TABLE import_items ADD COLUMN detail TEXT NOT NULL DEFAULT '';
ALTER TABLE import_jobs ADD COLUMN collections_made INTEGER NOT NULL DEFAULT 0;
