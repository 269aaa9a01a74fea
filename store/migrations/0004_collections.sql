-- Collections: named, ordered sets of a user's badges, private or shared
-- by an unguessable link (as badges are).
CREATE TABLE collections (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    slug         TEXT    NOT NULL UNIQUE,
    shared       INTEGER NOT NULL DEFAULT 0 CHECK (shared IN (0, 1)),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX collections_user ON collections(user_id, name);

CREATE TABLE collection_badges (
    collection_id  INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    badge_id       INTEGER NOT NULL REFERENCES badges(id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    PRIMARY KEY (collection_id, badge_id)
);
CREATE INDEX collection_badges_badge ON collection_badges(badge_id);
