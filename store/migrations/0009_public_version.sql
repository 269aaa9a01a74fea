-- Each user's public version: a number that goes up, in the same
-- transaction, with every write that can change what the user's public
-- pages show (/b/{slug}, /c/{slug}, their JSON twins, embeds, shields and
-- the Displayer API). The web layer keeps rendered public pages under the
-- number they were rendered at and renders again once it has moved, so a
-- write made by any app instance on this database shows at once on all of
-- them. Triggers do the counting, so no store method can forget it.
--
-- There is no foreign key to users: the row outlives its user, so that if
-- SQLite hands the id out again (it may reuse the largest rowid) the new
-- user's number carries on from the old one's and never repeats a number
-- a page of the deleted user was kept under. Rows are created for every
-- user (below, and by the trigger on users) so the triggers only UPDATE.
--
-- What bumps, and why:
--   users             INSERT (the row appears), UPDATE OF display_name (shown
--                     as the owner's name; and id, which never changes),
--                     DELETE (every page goes). Not password_hash or
--                     created_at: no page shows them.
--   badges            INSERT, DELETE, and UPDATE OF the columns the store
--                     reads into a Badge (what a public page is made from;
--                     verified_at and unreachable_since are shown too).
--                     Not claimed_until (the re-verifier's lease: claiming
--                     due badges must not throw every page away), nor the
--                     search copies name_lower, issuer_lower,
--                     description_lower and tags_lower (written only with
--                     the columns they copy).
--   badge_shares      INSERT, UPDATE, DELETE: every column decides whether
--                     and how a shared badge is shown.
--   collections       INSERT, UPDATE, DELETE: every column is shown or
--                     decides whether the collection is (updated_at is
--                     Last-Modified and the Displayer API's time).
--   collection_badges INSERT, UPDATE (position), DELETE: the owner is found
--                     through the collection. (When the collection itself
--                     is deleted, the lookup may find nothing: the
--                     collection's own trigger bumps.)
--   displayer_ids     INSERT, UPDATE, DELETE: the Displayer API's id.
--
-- What does not, and why:
--   images            content-addressed: a row's hash is the SHA-256 of
--                     its bytes, so it never changes; a new one shows only
--                     once a badge names it (which bumps), and one is only
--                     deleted when no badge or issuer names it.
--   issuer_images     the issuer logos are shown only on the owner's own
--                     badge page, never on a public one. (Were they shown
--                     publicly, a change would have to bump every owner of
--                     a badge of that issuer.)
--   badge_counts, badge_issuers
--                     counts for the owner's private list, written in the
--                     transactions that write badges.
--   identities, sessions, tokens, login_failures, pending_imports,
--   import_jobs, import_items, schema_migrations
--                     accounts, sign-in and import bookkeeping: no public
--                     page shows them (the recipient a page shows is
--                     badges.recipient).
-- A test in store checks that every table and column is in one of these
-- lists, so a later migration has to decide too.
--
-- Trigger bodies stay plain statements (UPDATE … SET version = version + 1,
-- INSERT … ON CONFLICT DO UPDATE) that a PostgreSQL trigger function can
-- run as they are.

CREATE TABLE public_versions (
    user_id  INTEGER PRIMARY KEY,
    version  INTEGER NOT NULL
);

INSERT INTO public_versions (user_id, version) SELECT id, 1 FROM users;

CREATE TRIGGER public_version_users_insert AFTER INSERT ON users BEGIN
    INSERT INTO public_versions (user_id, version) VALUES (NEW.id, 1)
        ON CONFLICT (user_id) DO UPDATE SET version = public_versions.version + 1;
END;
CREATE TRIGGER public_version_users_update AFTER UPDATE OF id, display_name ON users BEGIN
    UPDATE public_versions SET version = version + 1 WHERE user_id IN (OLD.id, NEW.id);
END;
CREATE TRIGGER public_version_users_delete AFTER DELETE ON users BEGIN
    UPDATE public_versions SET version = version + 1 WHERE user_id = OLD.id;
END;

CREATE TRIGGER public_version_badges_insert AFTER INSERT ON badges BEGIN
    UPDATE public_versions SET version = version + 1 WHERE user_id = NEW.user_id;
END;
CREATE TRIGGER public_version_badges_update AFTER UPDATE OF
    id, user_id, content_hash, original, original_type, source_url, spec, format,
    dedup_key, valid_from, name, issuer_name, description, tags, issued_on, expires_at,
    badge_json, image_hash, status, report_json, verified_at, unreachable_since,
    recipient, created_at
    ON badges BEGIN
    UPDATE public_versions SET version = version + 1 WHERE user_id IN (OLD.user_id, NEW.user_id);
END;
CREATE TRIGGER public_version_badges_delete AFTER DELETE ON badges BEGIN
    UPDATE public_versions SET version = version + 1 WHERE user_id = OLD.user_id;
END;

CREATE TRIGGER public_version_badge_shares_insert AFTER INSERT ON badge_shares BEGIN
    UPDATE public_versions SET version = version + 1 WHERE user_id = NEW.user_id;
END;
CREATE TRIGGER public_version_badge_shares_update AFTER UPDATE ON badge_shares BEGIN
    UPDATE public_versions SET version = version + 1 WHERE user_id IN (OLD.user_id, NEW.user_id);
END;
CREATE TRIGGER public_version_badge_shares_delete AFTER DELETE ON badge_shares BEGIN
    UPDATE public_versions SET version = version + 1 WHERE user_id = OLD.user_id;
END;

CREATE TRIGGER public_version_collections_insert AFTER INSERT ON collections BEGIN
    UPDATE public_versions SET version = version + 1 WHERE user_id = NEW.user_id;
END;
CREATE TRIGGER public_version_collections_update AFTER UPDATE ON collections BEGIN
    UPDATE public_versions SET version = version + 1 WHERE user_id IN (OLD.user_id, NEW.user_id);
END;
CREATE TRIGGER public_version_collections_delete AFTER DELETE ON collections BEGIN
    UPDATE public_versions SET version = version + 1 WHERE user_id = OLD.user_id;
END;

CREATE TRIGGER public_version_collection_badges_insert AFTER INSERT ON collection_badges BEGIN
    UPDATE public_versions SET version = version + 1
        WHERE user_id IN (SELECT user_id FROM collections WHERE id = NEW.collection_id);
END;
CREATE TRIGGER public_version_collection_badges_update AFTER UPDATE ON collection_badges BEGIN
    UPDATE public_versions SET version = version + 1
        WHERE user_id IN (SELECT user_id FROM collections WHERE id IN (OLD.collection_id, NEW.collection_id));
END;
CREATE TRIGGER public_version_collection_badges_delete AFTER DELETE ON collection_badges BEGIN
    UPDATE public_versions SET version = version + 1
        WHERE user_id IN (SELECT user_id FROM collections WHERE id = OLD.collection_id);
END;

CREATE TRIGGER public_version_displayer_ids_insert AFTER INSERT ON displayer_ids BEGIN
    UPDATE public_versions SET version = version + 1 WHERE user_id = NEW.user_id;
END;
CREATE TRIGGER public_version_displayer_ids_update AFTER UPDATE ON displayer_ids BEGIN
    UPDATE public_versions SET version = version + 1 WHERE user_id IN (OLD.user_id, NEW.user_id);
END;
CREATE TRIGGER public_version_displayer_ids_delete AFTER DELETE ON displayer_ids BEGIN
    UPDATE public_versions SET version = version + 1 WHERE user_id = OLD.user_id;
END;
