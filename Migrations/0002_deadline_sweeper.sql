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

-- After a default approval (超时默认) the department owes the formal approval document within 1 working day;
-- the follow-up is tracked here and can itself go overdue (counted against the department).
CREATE TABLE formal_documents (
    project_id          bigint NOT NULL REFERENCES projects,
    item_id             text   NOT NULL,
    department          text   NOT NULL,
    default_approved_on date   NOT NULL,
    due_on              date   NOT NULL,
    issued_on           date,
    document_number     text,
    -- Set once, by the sweeper, the day it found the document overdue.
    overdue_on          date,
    PRIMARY KEY (project_id, item_id)
);
CREATE INDEX formal_documents_open ON formal_documents (project_id) WHERE issued_on IS NULL;
