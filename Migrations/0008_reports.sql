-- Leaders' reports (issue 6) are set-based SQL over these.

-- The official calendar compiled to a workday ordinal per date (DOMAIN.md): the working days in (S, E] are
-- ordinal(E) - ordinal(S). Written from the loaded calendars at start-up, beyond their coverage by the weekend
-- rule, as the engine counts.
CREATE TABLE workdays (
    calendar_id text    NOT NULL,
    day         date    NOT NULL,
    ordinal     integer NOT NULL,
    working     boolean NOT NULL,
    PRIMARY KEY (calendar_id, day)
);

-- The project's summary as of its last change or daily sweep, for reports: the forecast and its critical path,
-- the limit it is held to, the calendar it counts on, and when it completed.
ALTER TABLE projects ADD COLUMN summary_as_of date;
ALTER TABLE projects ADD COLUMN forecast_days integer;
ALTER TABLE projects ADD COLUMN total_limit integer;
ALTER TABLE projects ADD COLUMN critical_path text[] NOT NULL DEFAULT '{}';
ALTER TABLE projects ADD COLUMN calendar_id text;
ALTER TABLE projects ADD COLUMN completed_on date;

-- The item's accountability facts, written with its row: why it was default-approved, when it was escalated,
-- how many supplement requests it took beyond the first (一次性告知 failures).
ALTER TABLE items ADD COLUMN default_reason text;
ALTER TABLE items ADD COLUMN escalated_on date;
ALTER TABLE items ADD COLUMN repeat_supplements integer NOT NULL DEFAULT 0;
CREATE INDEX items_overdue ON items (deadline) WHERE deadline IS NOT NULL;
