-- Import items are claimed for a while by the worker that imports them
-- (as badges are for re-verification), so that two Backpack instances on
-- one database never import the same item twice. A claim that runs out
-- (its worker stopped) lets another take the item.
ALTER TABLE import_items ADD COLUMN claimed_until INTEGER NOT NULL DEFAULT 0;
