-- Outgoing mail goes through a queue in the database. A request puts the
-- message here (with the one-time token its link carries, in the same
-- transaction) and answers at once, so no response waits on the mail
-- server; the mail loop of any instance claims a message with a lease
-- (claimed_until, as import items are claimed), sends it and marks it
-- sent, or tries again at due_at after a pause that grows, and gives up
-- after a bounded number of attempts.
--
-- Rows stay for a day after they are queued, with subject and body emptied
-- once sent or given up (the body holds a live link): the limits per
-- address and per account count them, so they hold across instances and
-- restarts. to_norm is the address in lower case. kind says what the mail
-- is for (confirm-email, reset-password, …): one mail of a kind to an
-- address per cool-down. user_id is the signed-in account whose action
-- queued it, NULL when nobody signed in asked (sign-up, password reset);
-- it is cleared when the account goes.
--
-- No public page shows the queue: it does not move public versions
-- (migration 0009).
CREATE TABLE mail_queue (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL,
    to_addr        TEXT    NOT NULL,
    to_norm        TEXT    NOT NULL,
    user_id        INTEGER REFERENCES users(id) ON DELETE SET NULL,
    subject        TEXT    NOT NULL,
    body           TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    state          TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
    due_at         INTEGER NOT NULL,
    claimed_until  INTEGER NOT NULL DEFAULT 0,
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT    NOT NULL DEFAULT '',
    done_at        INTEGER
);
CREATE INDEX mail_queue_due ON mail_queue(due_at, id) WHERE state = 'queued';
CREATE INDEX mail_queue_to ON mail_queue(to_norm, created_at);
CREATE INDEX mail_queue_user ON mail_queue(user_id, created_at);

-- An address belongs to one account once that account has confirmed it.
-- Before, an unconfirmed sign-up's primary address was reserved too, so
-- anybody could sign up with somebody else's address and keep its owner
-- out. Now several unconfirmed accounts may name the same address; the one
-- whose owner confirms it keeps it, and the others are deleted in that
-- transaction (store.verifyIdentity). Unconfirmed accounts are also swept
-- after a while (store.DeleteUnconfirmedUsers).
DROP INDEX identities_owned;
CREATE UNIQUE INDEX identities_owned ON identities(kind, value_norm) WHERE verified_at IS NOT NULL;
CREATE INDEX identities_value ON identities(kind, value_norm);
