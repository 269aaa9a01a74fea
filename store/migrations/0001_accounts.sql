-- Accounts: users, their identities, server-side sessions, one-time tokens and
-- sign-in throttling. Times are unix seconds (UTC).

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    display_name   TEXT    NOT NULL DEFAULT '',
    password_hash  TEXT    NOT NULL,
    created_at     INTEGER NOT NULL
);

-- An identity is something a badge can be issued to: an email address, a URL
-- or a telephone number. value_norm is the form used for matching (emails in
-- lower case).
CREATE TABLE identities (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('email', 'url', 'telephone')),
    value        TEXT    NOT NULL,
    value_norm   TEXT    NOT NULL,
    is_primary   INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1)),
    verified_at  INTEGER,
    created_at   INTEGER NOT NULL,
    UNIQUE (user_id, kind, value_norm)
);
CREATE INDEX identities_user ON identities(user_id);
-- Sign-in and badge matching rely on an email belonging to one account once
-- it is verified or is somebody's primary (sign-in) address.
CREATE UNIQUE INDEX identities_owned ON identities(kind, value_norm)
    WHERE is_primary = 1 OR verified_at IS NOT NULL;
CREATE UNIQUE INDEX identities_one_primary ON identities(user_id) WHERE is_primary = 1;

-- The cookie carries a random session id; only its SHA-256 is stored, so a
-- copy of the database does not hand out live sessions.
CREATE TABLE sessions (
    id_hash       BLOB    PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    user_agent    TEXT    NOT NULL DEFAULT '',
    ip            TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

-- One-time tokens mailed to the user (email confirmation, password reset).
-- Only the SHA-256 of the token is stored.
CREATE TABLE tokens (
    hash         BLOB    PRIMARY KEY,
    kind         TEXT    NOT NULL CHECK (kind IN ('confirm-email', 'reset-password')),
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    identity_id  INTEGER REFERENCES identities(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER
);
CREATE INDEX tokens_user ON tokens(user_id);

-- Failed sign-ins per email address typed (registered or not, so that
-- back-off does not reveal which addresses have accounts).
CREATE TABLE login_failures (
    email_norm    TEXT    PRIMARY KEY,
    failures      INTEGER NOT NULL,
    window_start  INTEGER NOT NULL,
    locked_until  INTEGER NOT NULL DEFAULT 0
);
