-- Lookups that were scans, found at province scale (BENCHMARKS.md): each cost grew with the history instead of
-- the work.

-- Notification recipients (NotificationOutbox) are found by organisation, by agent id and among the region's
-- staff. Without these every event scanned all users, which at a million projects (a quarter of a million
-- investors) cost ~80 ms per event and dominated the sweeper.
CREATE INDEX users_organisation ON users (organisation) WHERE role = 'investor';
CREATE INDEX users_staff ON users (region) WHERE role IN ('reviewer', 'leader', 'coordinator');

-- A project's agency history, agreements and difficult cases are read with every status answer; only their
-- current or open rows were indexed.
CREATE INDEX agent_assignments_project ON agent_assignments (project_id, id);
CREATE INDEX agency_agreements_project ON agency_agreements (project_id, id);
CREATE INDEX difficult_cases_project ON difficult_cases (project_id, id);

-- The overdue report's candidates: open items and items deemed approved on timeout. Every decided item has a
-- past deadline, so the deadline index alone led the report through all of history.
CREATE INDEX items_overdue_candidates ON items (deadline)
    WHERE state = 'accepted' OR (state = 'default_approved' AND default_reason = 'timeout');
