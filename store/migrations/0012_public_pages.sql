-- Public pages under abuse (issue 15).
--
-- A shared collection's public pages show its badges a page at a time, in
-- the collection's order (position, then badge id). This index lets each
-- page be read in order from where the last one ended, so that a page of
-- a collection of ten thousand badges costs what a page of a small one
-- does.
CREATE INDEX collection_badges_order ON collection_badges(collection_id, position, badge_id);

-- "Share the verifiable original": a shared badge's page offers the file
-- the owner brought in (a baked image names its recipient as the issuer
-- wrote it, perhaps in plain text), and its JSON twin gives the address of
-- the issuer's hosted assertion (which names the recipient too). Off by
-- default, also for badges shared before: pages show a display image
-- without the baked badge, and neither the address nor the recipient,
-- until the owner opts in.
--
-- It changes what the public page of the badge shows, so it bumps the
-- owner's public version: the trigger public_version_badge_shares_update
-- (migration 0009) fires on every column of badge_shares.
ALTER TABLE badge_shares ADD COLUMN share_original INTEGER NOT NULL DEFAULT 0 CHECK (share_original IN (0, 1));
