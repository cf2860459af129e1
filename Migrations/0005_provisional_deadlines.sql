-- Items whose deadline lies past the calendar's coverage (computed on weekends only): found quickly when a newer
-- calendar is loaded, so their projects are revisited and their deadlines re-computed.
CREATE INDEX items_provisional ON items (project_id) WHERE deadline_provisional;
