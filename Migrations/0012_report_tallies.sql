-- Leaders' reports at province scale (BENCHMARKS.md). The department and throughput reports summed ten years
-- of items and projects on every request (41 s and 2.7 s at a million projects). They now read tallies: counts
-- per region and key, kept by triggers in the transaction of each change, so a report costs the number of
-- distinct keys, not the history.
--
-- A tally row is either a change (+1 or -1, `compacted` false), appended by a trigger and never updated, so
-- concurrent transactions never wait on one another's counters; or a compacted sum (`compacted` true, one per
-- key). `compact_report_tallies()`, run after each sweep, folds the changes into the sums. A report sums both.

-- Items by department: their state, why they were deemed approved, the working days they used once decided,
-- their limit, and whether they are open and escalated; also each department's overdue formal documents.
CREATE TABLE department_tally (
    region             text    NOT NULL,
    department         text    NOT NULL,
    -- NULL on a formal-document row.
    state              text,
    default_reason     text,
    -- Only for decided items (approved, rejected, default_approved): an open item's days change every day.
    used_days          integer,
    limit_days         integer,
    -- An accepted item that was escalated (the report's open escalations).
    escalated          boolean NOT NULL DEFAULT false,
    items              integer NOT NULL DEFAULT 0,
    repeat_supplements integer NOT NULL DEFAULT 0,
    overdue_documents  integer NOT NULL DEFAULT 0,
    compacted          boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX department_tally_key ON department_tally
    (region, department, state, default_reason, used_days, limit_days, escalated) NULLS NOT DISTINCT WHERE compacted;
-- Compaction runs after every sweep and finds the few changes without reading the folded rows.
CREATE INDEX department_tally_changes ON department_tally (region) WHERE NOT compacted;

-- Projects by month: started, and completed with the working days they took and the limit they were held to.
CREATE TABLE project_tally (
    region      text    NOT NULL,
    month       text    NOT NULL,
    fact        text    NOT NULL CHECK (fact IN ('started', 'completed')),
    used_days   integer,
    total_limit integer,
    projects    integer NOT NULL,
    compacted   boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX project_tally_key ON project_tally (region, month, fact, used_days, total_limit) NULLS NOT DISTINCT
    WHERE compacted;
-- Compaction runs after every sweep and finds the few changes without reading the folded rows.
CREATE INDEX project_tally_changes ON project_tally (region) WHERE NOT compacted;

CREATE FUNCTION tally_item() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    project_region text;
BEGIN
    SELECT region INTO project_region FROM projects WHERE id = NEW.project_id;
    IF TG_OP = 'UPDATE' AND OLD.state NOT IN ('not_applicable', 'exempted') THEN
        INSERT INTO department_tally (region, department, state, default_reason, used_days, limit_days, escalated, items,
                                      repeat_supplements)
        VALUES (project_region, OLD.department, OLD.state, OLD.default_reason,
                CASE WHEN OLD.state IN ('approved', 'rejected', 'default_approved') THEN OLD.used_days END,
                OLD.limit_days, OLD.state = 'accepted' AND OLD.escalated_on IS NOT NULL, -1, -OLD.repeat_supplements);
    END IF;
    IF NEW.state NOT IN ('not_applicable', 'exempted') THEN
        INSERT INTO department_tally (region, department, state, default_reason, used_days, limit_days, escalated, items,
                                      repeat_supplements)
        VALUES (project_region, NEW.department, NEW.state, NEW.default_reason,
                CASE WHEN NEW.state IN ('approved', 'rejected', 'default_approved') THEN NEW.used_days END,
                NEW.limit_days, NEW.state = 'accepted' AND NEW.escalated_on IS NOT NULL, 1, NEW.repeat_supplements);
    END IF;
    RETURN NULL;
END $$;

-- Items are rewritten with every change of their project; the trigger fires only when the item's tally key
-- or its repeat supplements changed. Items and projects are never deleted.
CREATE TRIGGER items_tally_insert AFTER INSERT ON items FOR EACH ROW
    WHEN (NEW.state NOT IN ('not_applicable', 'exempted')) EXECUTE FUNCTION tally_item();
CREATE TRIGGER items_tally_update AFTER UPDATE ON items FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.default_reason IS DISTINCT FROM NEW.default_reason
          OR OLD.limit_days IS DISTINCT FROM NEW.limit_days OR OLD.repeat_supplements IS DISTINCT FROM NEW.repeat_supplements
          OR (OLD.escalated_on IS NULL) IS DISTINCT FROM (NEW.escalated_on IS NULL)
          OR (NEW.state IN ('approved', 'rejected', 'default_approved') AND OLD.used_days IS DISTINCT FROM NEW.used_days))
    EXECUTE FUNCTION tally_item();

CREATE FUNCTION tally_formal_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO department_tally (region, department, overdue_documents)
    SELECT region, NEW.department,
           (NEW.overdue_on IS NOT NULL)::int - (TG_OP = 'UPDATE' AND OLD.overdue_on IS NOT NULL)::int
    FROM projects WHERE id = NEW.project_id;
    RETURN NULL;
END $$;

CREATE TRIGGER formal_documents_tally_insert AFTER INSERT ON formal_documents FOR EACH ROW
    WHEN (NEW.overdue_on IS NOT NULL) EXECUTE FUNCTION tally_formal_document();
CREATE TRIGGER formal_documents_tally_update AFTER UPDATE ON formal_documents FOR EACH ROW
    WHEN ((OLD.overdue_on IS NULL) IS DISTINCT FROM (NEW.overdue_on IS NULL)) EXECUTE FUNCTION tally_formal_document();

CREATE FUNCTION tally_project() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO project_tally (region, month, fact, projects)
        VALUES (OLD.region, to_char(OLD.started_on, 'YYYY-MM'), 'started', -1);
        IF OLD.completed_on IS NOT NULL THEN
            INSERT INTO project_tally (region, month, fact, used_days, total_limit, projects)
            VALUES (OLD.region, to_char(OLD.completed_on, 'YYYY-MM'), 'completed', OLD.used_days, OLD.total_limit, -1);
        END IF;
    END IF;
    INSERT INTO project_tally (region, month, fact, projects)
    VALUES (NEW.region, to_char(NEW.started_on, 'YYYY-MM'), 'started', 1);
    IF NEW.completed_on IS NOT NULL THEN
        INSERT INTO project_tally (region, month, fact, used_days, total_limit, projects)
        VALUES (NEW.region, to_char(NEW.completed_on, 'YYYY-MM'), 'completed', NEW.used_days, NEW.total_limit, 1);
    END IF;
    RETURN NULL;
END $$;

-- An open project's used days change daily; they are tallied only once it has completed.
CREATE TRIGGER projects_tally_insert AFTER INSERT ON projects FOR EACH ROW EXECUTE FUNCTION tally_project();
CREATE TRIGGER projects_tally_update AFTER UPDATE ON projects FOR EACH ROW
    WHEN (OLD.region IS DISTINCT FROM NEW.region OR OLD.started_on IS DISTINCT FROM NEW.started_on
          OR OLD.completed_on IS DISTINCT FROM NEW.completed_on
          OR (NEW.completed_on IS NOT NULL AND (OLD.used_days, OLD.total_limit) IS DISTINCT FROM (NEW.used_days, NEW.total_limit)))
    EXECUTE FUNCTION tally_project();

-- Folds the changes into the sums. Deleting the changes it folds makes it safe to run anywhere, any number of
-- times at once: a change is folded by whichever run deleted it, and one appended meanwhile waits for the next.
CREATE FUNCTION compact_report_tallies() RETURNS void LANGUAGE sql AS $$
    WITH changes AS (DELETE FROM department_tally WHERE NOT compacted RETURNING *)
    INSERT INTO department_tally (region, department, state, default_reason, used_days, limit_days, escalated, items,
                                  repeat_supplements, overdue_documents, compacted)
    SELECT region, department, state, default_reason, used_days, limit_days, escalated, sum(items), sum(repeat_supplements),
           sum(overdue_documents), true
    FROM changes GROUP BY region, department, state, default_reason, used_days, limit_days, escalated
    ON CONFLICT (region, department, state, default_reason, used_days, limit_days, escalated) WHERE compacted
    DO UPDATE SET items = department_tally.items + excluded.items,
                  repeat_supplements = department_tally.repeat_supplements + excluded.repeat_supplements,
                  overdue_documents = department_tally.overdue_documents + excluded.overdue_documents;

    WITH changes AS (DELETE FROM project_tally WHERE NOT compacted RETURNING *)
    INSERT INTO project_tally (region, month, fact, used_days, total_limit, projects, compacted)
    SELECT region, month, fact, used_days, total_limit, sum(projects), true
    FROM changes GROUP BY region, month, fact, used_days, total_limit
    ON CONFLICT (region, month, fact, used_days, total_limit) WHERE compacted
    DO UPDATE SET projects = project_tally.projects + excluded.projects;
$$;

-- Recounts both tallies from the items, formal documents and projects, holding off writers meanwhile: for this
-- migration, and for `approvals seed`, whose bulk load bypasses triggers.
CREATE FUNCTION rebuild_report_tallies() RETURNS void LANGUAGE sql AS $$
    LOCK TABLE projects, items, formal_documents IN SHARE MODE;
    TRUNCATE department_tally, project_tally;

    INSERT INTO department_tally (region, department, state, default_reason, used_days, limit_days, escalated, items,
                                  repeat_supplements, compacted)
    SELECT p.region, i.department, i.state, i.default_reason,
           CASE WHEN i.state IN ('approved', 'rejected', 'default_approved') THEN i.used_days END,
           i.limit_days, i.state = 'accepted' AND i.escalated_on IS NOT NULL, count(*), sum(i.repeat_supplements), true
    FROM items i JOIN projects p ON p.id = i.project_id
    WHERE i.state NOT IN ('not_applicable', 'exempted')
    GROUP BY 1, 2, 3, 4, 5, 6, 7;

    INSERT INTO department_tally (region, department, overdue_documents, compacted)
    SELECT p.region, f.department, count(*), true
    FROM formal_documents f JOIN projects p ON p.id = f.project_id
    WHERE f.overdue_on IS NOT NULL
    GROUP BY 1, 2;

    INSERT INTO project_tally (region, month, fact, projects, compacted)
    SELECT region, to_char(started_on, 'YYYY-MM'), 'started', count(*), true FROM projects GROUP BY 1, 2;

    INSERT INTO project_tally (region, month, fact, used_days, total_limit, projects, compacted)
    SELECT region, to_char(completed_on, 'YYYY-MM'), 'completed', used_days, total_limit, count(*), true
    FROM projects WHERE completed_on IS NOT NULL GROUP BY 1, 2, 4, 5;
$$;

SELECT rebuild_report_tallies();
-- Planned from estimates of an empty table, the whole-province sums were sorted instead of hashed (0.8 s, not 0.2 s).
ANALYZE department_tally, project_tally;

-- The overdue report's candidates, by state then deadline: open items overdue, and the recent default
-- approvals. The index on deadline alone led the report through every timeout of the history (351k entries
-- for 16k rows at a million projects).
DROP INDEX items_overdue_candidates;
CREATE INDEX items_overdue_candidates ON items (state, deadline)
    WHERE state = 'accepted' OR (state = 'default_approved' AND default_reason = 'timeout');
