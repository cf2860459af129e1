-- Projects written before 0008 get the report columns their next change or daily sweep would write, so the
-- reports see them at once: the calendar named in their workflow version's own text, and the completion day
-- (the day of their last event) for those already completed.
UPDATE projects p SET calendar_id = substring(v.source FROM '(?m)^calendar:\s*([A-Za-z0-9_-]+)')
FROM workflow_versions v
WHERE v.id = p.workflow_version_id AND p.calendar_id IS NULL;

UPDATE projects p SET completed_on = (SELECT max(e.on_date) FROM events e WHERE e.project_id = p.id)
WHERE p.completed AND p.completed_on IS NULL;
