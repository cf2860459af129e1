-- Agency service (代办, GB/T 38227-2019): the agents' directory, assignments with handovers, agency agreements,
-- progress logs, difficult cases (疑难会商) and ratings (好差评).

-- An agent's place in the three-level network (city, county, township) and how many projects they can carry.
ALTER TABLE users ADD COLUMN agent_level text CHECK (agent_level IN ('city', 'county', 'township'));
ALTER TABLE users ADD COLUMN agent_capacity integer CHECK (agent_capacity > 0);
UPDATE users SET agent_level = CASE WHEN region LIKE '%00' THEN 'city' ELSE 'county' END, agent_capacity = 20
WHERE role = 'agent';
ALTER TABLE users ADD CONSTRAINT agents_have_a_level
    CHECK ((role = 'agent') = (agent_level IS NOT NULL AND agent_capacity IS NOT NULL));

-- Who carried a project when: one open row per project (its current agent), closed by a handover or an end.
CREATE TABLE agent_assignments (
    id            bigserial PRIMARY KEY,
    project_id    bigint NOT NULL REFERENCES projects,
    agent_id      bigint NOT NULL REFERENCES users,
    started_on    date   NOT NULL,
    assigned_by   bigint NOT NULL REFERENCES users,
    ended_on      date,
    -- handover or ended
    ended_by      text CHECK (ended_by IN ('handover', 'ended')),
    end_reason    text,
    handover_note text,
    handed_to     bigint REFERENCES users
);
CREATE UNIQUE INDEX agent_assignments_current ON agent_assignments (project_id) WHERE ended_on IS NULL;
CREATE INDEX agent_assignments_agent ON agent_assignments (agent_id) WHERE ended_on IS NULL;
-- Projects assigned before this table existed keep their agent, from the project's start.
INSERT INTO agent_assignments (project_id, agent_id, started_on, assigned_by)
SELECT id, agent_id, started_on, 0 FROM projects WHERE agent_id IS NOT NULL;

-- The investor's authorisation (委托) of the agency service for a project: which items it covers and from when;
-- renewed (续办), terminated (终止) with a reason, or completed (办结). One agreement per project at a time.
CREATE TABLE agency_agreements (
    id           bigserial PRIMARY KEY,
    project_id   bigint NOT NULL REFERENCES projects,
    scope        text[] NOT NULL,
    starts_on    date   NOT NULL,
    valid_until  date,
    renewals     integer NOT NULL DEFAULT 0,
    state        text   NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'terminated', 'completed')),
    ended_on     date,
    end_reason   text,
    authorised_by bigint NOT NULL REFERENCES users
);
CREATE UNIQUE INDEX agency_agreements_current ON agency_agreements (project_id) WHERE state = 'active';

-- The agent's progress log. A next-step date that passes without a newer update makes the project's follow-up
-- overdue; the sweeper says so once (follow_up_overdue_on).
CREATE TABLE progress_updates (
    id                  bigserial PRIMARY KEY,
    project_id          bigint NOT NULL REFERENCES projects,
    author_id           bigint NOT NULL REFERENCES users,
    kind                text   NOT NULL CHECK (kind IN ('contacted_department', 'materials_prepared', 'submitted_on_behalf',
                                                        'site_visit', 'meeting_attended', 'issue_raised', 'other')),
    text                text   NOT NULL,
    item_id             text,
    next_step_on        date,
    at                  timestamptz NOT NULL,
    on_date             date   NOT NULL,
    follow_up_overdue_on date
);
CREATE INDEX progress_updates_project ON progress_updates (project_id, id);

-- Difficult cases (疑难会商) raised by an agent or coordinator; the coordinator records the meeting and outcome.
CREATE TABLE difficult_cases (
    id          bigserial PRIMARY KEY,
    project_id  bigint NOT NULL REFERENCES projects,
    item_id     text,
    title       text   NOT NULL,
    description text   NOT NULL,
    raised_by   bigint NOT NULL REFERENCES users,
    raised_on   date   NOT NULL,
    meeting_on  date,
    outcome     text,
    resolved_on date,
    resolved_by bigint REFERENCES users
);
CREATE INDEX difficult_cases_open ON difficult_cases (project_id) WHERE resolved_on IS NULL;

-- Ratings (好差评): by the investor, of each ended item and of the agent at the agreement's end; one per subject,
-- editable for 7 days after it was first given.
CREATE TABLE ratings (
    project_id   bigint NOT NULL REFERENCES projects,
    subject_kind text   NOT NULL CHECK (subject_kind IN ('item', 'agent')),
    subject      text   NOT NULL,
    agent_id     bigint REFERENCES users,
    score        integer NOT NULL CHECK (score BETWEEN 1 AND 5),
    text         text   NOT NULL,
    rated_by     bigint NOT NULL REFERENCES users,
    first_at     timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (project_id, subject_kind, subject)
);
CREATE INDEX ratings_agent ON ratings (agent_id) WHERE subject_kind = 'agent';
