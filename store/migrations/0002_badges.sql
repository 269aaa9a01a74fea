-- Badges: the earner's verified badges, the images they show (shared and
-- content-addressed) and imports waiting for an identity to be verified.
-- Times are unix seconds (UTC); 0 in issued_on / valid_from means unknown.
-- The *_lower columns are filled by the program (Unicode lower case) for
-- search and sorting, so that no engine-specific collation is needed.

CREATE TABLE images (
    hash          BLOB    PRIMARY KEY,   -- SHA-256 of bytes
    content_type  TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    bytes         BLOB    NOT NULL       -- last, as in badges below
);

-- The large columns (badge_json, report_json, original) come last: SQLite
-- reads a row from its start, and a list page that needs only the name must
-- not walk the overflow pages of a multi-megabyte original to reach it.
CREATE TABLE badges (
    id                 INTEGER PRIMARY KEY,
    user_id            INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    content_hash       BLOB    NOT NULL,  -- SHA-256 of original
    original_type      TEXT    NOT NULL CHECK (original_type IN ('png', 'svg', 'json', 'jws', 'url')),
    source_url         TEXT    NOT NULL DEFAULT '',
    spec               TEXT    NOT NULL DEFAULT '',
    format             TEXT    NOT NULL DEFAULT '',
    -- issuer id + "\n" + credential (assertion) id; '' when unknown. At most
    -- one badge per user and key: a newer issue replaces the older in place.
    dedup_key          TEXT    NOT NULL DEFAULT '',
    valid_from         INTEGER NOT NULL DEFAULT 0,
    name               TEXT    NOT NULL DEFAULT '',
    name_lower         TEXT    NOT NULL DEFAULT '',
    issuer_name        TEXT    NOT NULL DEFAULT '',
    issuer_lower       TEXT    NOT NULL DEFAULT '',
    issued_on          INTEGER NOT NULL DEFAULT 0,
    expires_at         INTEGER,
    image_hash         BLOB    REFERENCES images(hash),
    status             TEXT    NOT NULL CHECK (status IN ('verified', 'expired', 'revoked', 'unverified')),
    verified_at        INTEGER NOT NULL,
    unreachable_since  INTEGER,
    recipient          TEXT    NOT NULL DEFAULT '',    -- the identity matched
    created_at         INTEGER NOT NULL,
    claimed_until      INTEGER NOT NULL DEFAULT 0,     -- re-verification lease
    description        TEXT    NOT NULL DEFAULT '',
    description_lower  TEXT    NOT NULL DEFAULT '',
    tags               TEXT    NOT NULL DEFAULT '[]',  -- JSON array of strings
    tags_lower         TEXT    NOT NULL DEFAULT '',    -- tags joined by "\n"
    badge_json         TEXT    NOT NULL DEFAULT '',    -- the normalised badge
    report_json        TEXT    NOT NULL,
    original           BLOB    NOT NULL,  -- the bytes as uploaded or fetched
    UNIQUE (user_id, content_hash)
);
-- The list: one index per sort order, so a page never sorts the whole backpack.
CREATE INDEX badges_user_issued ON badges(user_id, issued_on DESC, id DESC);
CREATE INDEX badges_user_name ON badges(user_id, name_lower, id);
CREATE INDEX badges_user_issuer ON badges(user_id, issuer_lower, name_lower, id);
CREATE INDEX badges_user_status ON badges(user_id, status, issued_on DESC, id DESC);
CREATE UNIQUE INDEX badges_user_dedup ON badges(user_id, dedup_key) WHERE dedup_key <> '';
-- The re-verification worker: oldest verification first.
CREATE INDEX badges_due ON badges(verified_at, claimed_until);
-- Deleting an image checks that no badge still shows it.
CREATE INDEX badges_image ON badges(image_hash);

-- How many badges each user has, so that the first page of a large backpack
-- does not count it. The store keeps it in the transactions that add and
-- delete badges.
CREATE TABLE badge_counts (
    user_id  INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    n        INTEGER NOT NULL CHECK (n >= 0)
);

-- A badge whose recipient is none of the user's verified identities waits
-- here until the user verifies the identity it names (or deletes it).
CREATE TABLE pending_imports (
    id                  INTEGER PRIMARY KEY,
    user_id             INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    original            BLOB    NOT NULL,
    original_type       TEXT    NOT NULL CHECK (original_type IN ('png', 'svg', 'json', 'jws', 'url')),
    source_url          TEXT    NOT NULL DEFAULT '',
    recipient_type      TEXT    NOT NULL DEFAULT '',
    recipient_identity  TEXT    NOT NULL DEFAULT '',  -- readable identity, or the hash
    hashed              INTEGER NOT NULL DEFAULT 0 CHECK (hashed IN (0, 1)),
    name                TEXT    NOT NULL DEFAULT '',
    content_hash        BLOB    NOT NULL,
    created_at          INTEGER NOT NULL,
    UNIQUE (user_id, content_hash)
);

-- The issuers of each user's badges with how many badges each has, for the
-- issuer filter: listing them costs in issuers, not badges. The store
-- keeps it in the transactions that add, replace, re-verify and delete.
CREATE TABLE badge_issuers (
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    issuer_lower  TEXT    NOT NULL,
    issuer_name   TEXT    NOT NULL,
    n             INTEGER NOT NULL,
    PRIMARY KEY (user_id, issuer_lower, issuer_name)
);

-- Each issuer's logo, by issuer id, shared by everyone's badges of that
-- issuer (the latest verified badge's issuer data sets it).
CREATE TABLE issuer_images (
    issuer_id   TEXT    PRIMARY KEY,
    image_hash  BLOB    NOT NULL REFERENCES images(hash),
    updated_at  INTEGER NOT NULL
);
