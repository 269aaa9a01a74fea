-- How many bytes each user keeps, for the storage quota: the originals of
-- their badges and of the badges waiting for an identity, and each badge's
-- image, counted with every badge that shows it (images are stored once
-- and shared, but a user who shows one has it in their backpack). Triggers
-- keep it, in the transaction of every write that changes it, so that no
-- store method can forget it and SaveBadge can refuse a badge that would
-- take the user past the quota. No public page shows it (it is bookkeeping
-- as badge_counts is: no public-version trigger).
--
-- octet_length reads the size of a value without reading its bytes.
CREATE TABLE storage_used (
    user_id  INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    bytes    INTEGER NOT NULL DEFAULT 0
);

INSERT INTO storage_used (user_id, bytes)
SELECT u.id,
    COALESCE((SELECT SUM(octet_length(b.original) + COALESCE((SELECT octet_length(i.bytes) FROM images i WHERE i.hash = b.image_hash), 0))
        FROM badges b WHERE b.user_id = u.id), 0)
    + COALESCE((SELECT SUM(octet_length(p.original)) FROM pending_imports p WHERE p.user_id = u.id), 0)
FROM users u;

CREATE TRIGGER storage_used_users_insert AFTER INSERT ON users BEGIN
    INSERT INTO storage_used (user_id, bytes) VALUES (NEW.id, 0);
END;

CREATE TRIGGER storage_used_badges_insert AFTER INSERT ON badges BEGIN
    UPDATE storage_used SET bytes = bytes + octet_length(NEW.original)
        + COALESCE((SELECT octet_length(bytes) FROM images WHERE hash = NEW.image_hash), 0)
    WHERE user_id = NEW.user_id;
END;

CREATE TRIGGER storage_used_badges_update AFTER UPDATE OF user_id, original, image_hash ON badges BEGIN
    UPDATE storage_used SET bytes = bytes - octet_length(OLD.original)
        - COALESCE((SELECT octet_length(bytes) FROM images WHERE hash = OLD.image_hash), 0)
    WHERE user_id = OLD.user_id;
    UPDATE storage_used SET bytes = bytes + octet_length(NEW.original)
        + COALESCE((SELECT octet_length(bytes) FROM images WHERE hash = NEW.image_hash), 0)
    WHERE user_id = NEW.user_id;
END;

-- The image a badge showed is deleted after the badge, if at all, so it is
-- still there to be counted.
CREATE TRIGGER storage_used_badges_delete AFTER DELETE ON badges BEGIN
    UPDATE storage_used SET bytes = bytes - octet_length(OLD.original)
        - COALESCE((SELECT octet_length(bytes) FROM images WHERE hash = OLD.image_hash), 0)
    WHERE user_id = OLD.user_id;
END;

CREATE TRIGGER storage_used_pending_insert AFTER INSERT ON pending_imports BEGIN
    UPDATE storage_used SET bytes = bytes + octet_length(NEW.original) WHERE user_id = NEW.user_id;
END;

CREATE TRIGGER storage_used_pending_update AFTER UPDATE OF user_id, original ON pending_imports BEGIN
    UPDATE storage_used SET bytes = bytes - octet_length(OLD.original) WHERE user_id = OLD.user_id;
    UPDATE storage_used SET bytes = bytes + octet_length(NEW.original) WHERE user_id = NEW.user_id;
END;

CREATE TRIGGER storage_used_pending_delete AFTER DELETE ON pending_imports BEGIN
    UPDATE storage_used SET bytes = bytes - octet_length(OLD.original) WHERE user_id = OLD.user_id;
END;
