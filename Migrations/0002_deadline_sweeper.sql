-- When a project next needs the deadline sweeper: the earliest instant at which one of its running item clocks
-- passes its deadline. Indexed only where set, so a sweep with nothing due is one index probe however much
-- history the database holds; the sweeper claims projects by this column with FOR UPDATE SKIP LOCKED.
ALTER TABLE projects ADD COLUMN next_due_at timestamptz;
CREATE INDEX projects_next_due ON projects (next_due_at) WHERE next_due_at IS NOT NULL;

-- The actor of time-driven events (超时默认, escalation): never active, holds no token, so no one can sign in
-- as it.
INSERT INTO users (id, name, role, region, active) VALUES (0, '期限引擎 (deadline engine)', 'admin', '000000', false);

-- Warnings the sweeper has announced, so each is raised once: items that entered their yellow window, and the
-- highest project level (yellow, red) reached.
ALTER TABLE projects ADD COLUMN item_yellow_raised text[] NOT NULL DEFAULT '{}';
ALTER TABLE projects ADD COLUMN warning_raised text NOT NULL DEFAULT 'none';
