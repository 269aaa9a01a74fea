-- Publishing options: a shared collection may opt in to search engines
-- (it is noindex by default, as a shared badge is).
ALTER TABLE collections ADD COLUMN indexable INTEGER NOT NULL DEFAULT 0 CHECK (indexable IN (0, 1));
