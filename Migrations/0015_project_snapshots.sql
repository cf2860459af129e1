-- A project's item states as of its last change (ProjectSnapshot), so that a write loads the project from its
-- row instead of replaying every event. NULL until the project's first change after this migration (and for
-- projects `approvals seed` writes); a snapshot made under another calendar is ignored and the events replayed.
ALTER TABLE projects ADD COLUMN snapshot jsonb;
