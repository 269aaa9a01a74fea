-- Public share links of single badges. The slug is random (128 bits or
-- more); turning sharing off keeps the row (and its options) but the link
-- answers 404; a new link replaces the slug, and the old one dies.
CREATE TABLE badge_shares (
    badge_id        INTEGER PRIMARY KEY REFERENCES badges(id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    slug            TEXT    NOT NULL UNIQUE,
    enabled         INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    show_recipient  INTEGER NOT NULL DEFAULT 0 CHECK (show_recipient IN (0, 1)),
    indexable       INTEGER NOT NULL DEFAULT 0 CHECK (indexable IN (0, 1)),
    updated_at      INTEGER NOT NULL
);
CREATE INDEX badge_shares_user ON badge_shares(user_id);
