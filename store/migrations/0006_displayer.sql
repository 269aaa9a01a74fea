-- The Mozilla Displayer API, for older portfolio plugins: a user who opts
-- in gets a random public id (128 bits or more) under which their shared
-- collections are listed. Opting out deletes the row, so the id and its
-- URLs die; opting in again makes a new id.
CREATE TABLE displayer_ids (
    user_id       INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    displayer_id  TEXT    NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL
);
