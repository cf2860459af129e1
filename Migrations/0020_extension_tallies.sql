-- The department report counts extensions (延期) granted and their working days. An item's row carries the days
-- granted and, from now on, the limit it is held to (the definition's and the extension's), so an item decided
-- within an extended limit is on time.
ALTER TABLE items ADD COLUMN extension_days integer NOT NULL DEFAULT 0;
ALTER TABLE department_tally
    ADD COLUMN extended_items integer NOT NULL DEFAULT 0,
    ADD COLUMN extension_days integer NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION tally_item() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    project_region text;
BEGIN
    SELECT region INTO project_region FROM projects WHERE id = NEW.project_id;
    IF TG_OP = 'UPDATE' AND OLD.state NOT IN ('not_applicable', 'exempted') THEN
        INSERT INTO department_tally (region, department, state, default_reason, used_days, limit_days, escalated, items,
                                      repeat_supplements, extended_items, extension_days)
        VALUES (project_region, OLD.department, OLD.state, OLD.default_reason,
                CASE WHEN OLD.state IN ('approved', 'rejected', 'default_approved') THEN OLD.used_days END,
                OLD.limit_days, OLD.state = 'accepted' AND OLD.escalated_on IS NOT NULL, -1, -OLD.repeat_supplements,
                -(OLD.extension_days > 0)::int, -OLD.extension_days);
    END IF;
    IF NEW.state NOT IN ('not_applicable', 'exempted') THEN
        INSERT INTO department_tally (region, department, state, default_reason, used_days, limit_days, escalated, items,
                                      repeat_supplements, extended_items, extension_days)
        VALUES (project_region, NEW.department, NEW.state, NEW.default_reason,
                CASE WHEN NEW.state IN ('approved', 'rejected', 'default_approved') THEN NEW.used_days END,
                NEW.limit_days, NEW.state = 'accepted' AND NEW.escalated_on IS NOT NULL, 1, NEW.repeat_supplements,
                (NEW.extension_days > 0)::int, NEW.extension_days);
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER items_tally_update ON items;
CREATE TRIGGER items_tally_update AFTER UPDATE ON items FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.default_reason IS DISTINCT FROM NEW.default_reason
          OR OLD.limit_days IS DISTINCT FROM NEW.limit_days OR OLD.repeat_supplements IS DISTINCT FROM NEW.repeat_supplements
          OR OLD.extension_days IS DISTINCT FROM NEW.extension_days
          OR (OLD.escalated_on IS NULL) IS DISTINCT FROM (NEW.escalated_on IS NULL)
          OR (NEW.state IN ('approved', 'rejected', 'default_approved') AND OLD.used_days IS DISTINCT FROM NEW.used_days))
    EXECUTE FUNCTION tally_item();

CREATE OR REPLACE FUNCTION compact_report_tallies() RETURNS void LANGUAGE sql AS $$
    WITH changes AS (DELETE FROM department_tally WHERE NOT compacted RETURNING *)
    INSERT INTO department_tally (region, department, state, default_reason, used_days, limit_days, escalated, items,
                                  repeat_supplements, overdue_documents, extended_items, extension_days, compacted)
    SELECT region, department, state, default_reason, used_days, limit_days, escalated, sum(items), sum(repeat_supplements),
           sum(overdue_documents), sum(extended_items), sum(extension_days), true
    FROM changes GROUP BY region, department, state, default_reason, used_days, limit_days, escalated
    ON CONFLICT (region, department, state, default_reason, used_days, limit_days, escalated) WHERE compacted
    DO UPDATE SET items = department_tally.items + excluded.items,
                  repeat_supplements = department_tally.repeat_supplements + excluded.repeat_supplements,
                  overdue_documents = department_tally.overdue_documents + excluded.overdue_documents,
                  extended_items = department_tally.extended_items + excluded.extended_items,
                  extension_days = department_tally.extension_days + excluded.extension_days;

    WITH changes AS (DELETE FROM project_tally WHERE NOT compacted RETURNING *)
    INSERT INTO project_tally (region, month, fact, used_days, total_limit, projects, compacted)
    SELECT region, month, fact, used_days, total_limit, sum(projects), true
    FROM changes GROUP BY region, month, fact, used_days, total_limit
    ON CONFLICT (region, month, fact, used_days, total_limit) WHERE compacted
    DO UPDATE SET projects = project_tally.projects + excluded.projects;
$$;

CREATE OR REPLACE FUNCTION rebuild_report_tallies() RETURNS void LANGUAGE sql AS $$
    LOCK TABLE projects, items, formal_documents IN SHARE MODE;
    TRUNCATE department_tally, project_tally;

    INSERT INTO department_tally (region, department, state, default_reason, used_days, limit_days, escalated, items,
                                  repeat_supplements, extended_items, extension_days, compacted)
    SELECT p.region, i.department, i.state, i.default_reason,
           CASE WHEN i.state IN ('approved', 'rejected', 'default_approved') THEN i.used_days END,
           i.limit_days, i.state = 'accepted' AND i.escalated_on IS NOT NULL, count(*), sum(i.repeat_supplements),
           count(*) FILTER (WHERE i.extension_days > 0), sum(i.extension_days), true
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
