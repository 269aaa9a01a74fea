-- Bulk imports (a ZIP of badges, or a Backpack export) run as background
-- jobs that survive restarts. A job is 'receiving' while its items are
-- written (a job left so by a crash is deleted at start), 'queued' until
-- every item is done, then 'done'. Each item keeps its bytes until its
-- job is done, and its outcome for the job's report.
CREATE TABLE import_jobs (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,          -- the uploaded file's name
    state        TEXT    NOT NULL CHECK (state IN ('receiving', 'queued', 'done')),
    total        INTEGER NOT NULL DEFAULT 0,
    collections  TEXT    NOT NULL DEFAULT '', -- JSON: collections to recreate (exports)
    message      TEXT    NOT NULL DEFAULT '', -- said when done
    created_at   INTEGER NOT NULL,
    finished_at  INTEGER
);
CREATE INDEX import_jobs_user ON import_jobs(user_id, id);
CREATE INDEX import_jobs_state ON import_jobs(state);

CREATE TABLE import_items (
    job_id     INTEGER NOT NULL REFERENCES import_jobs(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,            -- 1, 2, … in archive order
    name       TEXT    NOT NULL,            -- path in the archive
    kind       TEXT    NOT NULL DEFAULT '', -- 'url' for a URL; '' to judge by content
    ref        TEXT    NOT NULL DEFAULT '', -- the export's id for the badge, if any
    data       BLOB,                        -- NULL once the job is done
    skip       TEXT    NOT NULL DEFAULT '', -- why it is not imported, decided on receipt
    done       INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
    outcome    TEXT    NOT NULL DEFAULT '', -- added, duplicate, updated, pending, rejected
    message    TEXT    NOT NULL DEFAULT '',
    badge_id   INTEGER,                     -- the badge it became or matched
    badge_name TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (job_id, seq)
);
