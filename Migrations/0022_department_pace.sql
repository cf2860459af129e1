-- The forecast from history (issue 25): the working days each department's decided items used, by city and by
-- the month of the decision, so a project's expected path can use what departments have recently taken rather
-- than their legal limits. Per city rather than per county: a county window decides too few items of a kind for
-- a stable median, and a city's windows work to the same practice.
--
-- Kept as the report tallies are (0012): a trigger appends +1 / -1 changes in the transaction of each write, so
-- concurrent writers never wait on a shared counter; `compact_department_pace()`, run with the report tallies'
-- compaction after each sweep, folds them into one row per key; `rebuild_department_pace()` recounts after a
-- bulk load that bypassed the trigger.
CREATE TABLE department_pace (
    city       text    NOT NULL,
    department text    NOT NULL,
    month      text    NOT NULL,
    used_days  integer NOT NULL,
    items      integer NOT NULL,
    compacted  boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX department_pace_key ON department_pace (city, department, month, used_days) WHERE compacted;
CREATE INDEX department_pace_changes ON department_pace (city) WHERE NOT compacted;
CREATE INDEX department_pace_month ON department_pace (month);

CREATE FUNCTION tally_pace() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    project_city text;
BEGIN
    SELECT left(region, 4) || '00' INTO project_city FROM projects WHERE id = NEW.project_id;
    IF TG_OP = 'UPDATE' AND OLD.state IN ('approved', 'rejected', 'default_approved') THEN
        INSERT INTO department_pace (city, department, month, used_days, items)
        VALUES (project_city, OLD.department, to_char(OLD.state_since, 'YYYY-MM'), OLD.used_days, -1);
    END IF;
    IF NEW.state IN ('approved', 'rejected', 'default_approved') THEN
        INSERT INTO department_pace (city, department, month, used_days, items)
        VALUES (project_city, NEW.department, to_char(NEW.state_since, 'YYYY-MM'), NEW.used_days, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER items_pace_insert AFTER INSERT ON items FOR EACH ROW
    WHEN (NEW.state IN ('approved', 'rejected', 'default_approved')) EXECUTE FUNCTION tally_pace();
CREATE TRIGGER items_pace_update AFTER UPDATE ON items FOR EACH ROW
    WHEN ((OLD.state IN ('approved', 'rejected', 'default_approved') OR NEW.state IN ('approved', 'rejected', 'default_approved'))
          AND (OLD.state IS DISTINCT FROM NEW.state OR OLD.used_days IS DISTINCT FROM NEW.used_days
               OR OLD.state_since IS DISTINCT FROM NEW.state_since OR OLD.department IS DISTINCT FROM NEW.department))
    EXECUTE FUNCTION tally_pace();

CREATE FUNCTION compact_department_pace() RETURNS void LANGUAGE sql AS $$
    WITH changes AS (DELETE FROM department_pace WHERE NOT compacted RETURNING *)
    INSERT INTO department_pace (city, department, month, used_days, items, compacted)
    SELECT city, department, month, used_days, sum(items), true
    FROM changes GROUP BY city, department, month, used_days
    ON CONFLICT (city, department, month, used_days) WHERE compacted
    DO UPDATE SET items = department_pace.items + excluded.items;
$$;

CREATE FUNCTION rebuild_department_pace() RETURNS void LANGUAGE sql AS $$
    LOCK TABLE projects, items IN SHARE MODE;
    TRUNCATE department_pace;
    INSERT INTO department_pace (city, department, month, used_days, items, compacted)
    SELECT left(p.region, 4) || '00', i.department, to_char(i.state_since, 'YYYY-MM'), i.used_days, count(*), true
    FROM items i JOIN projects p ON p.id = i.project_id
    WHERE i.state IN ('approved', 'rejected', 'default_approved')
    GROUP BY 1, 2, 3, 4;
$$;

SELECT rebuild_department_pace();

-- The expected total (at the departments' recent medians) of each open project, kept with the legal forecast,
-- so the at-risk report lists projects whose expected path passes their total limit.
ALTER TABLE projects ADD COLUMN expected_days integer;
