-- A project's last status answer (GET /v1/projects/{code}), as sent, so that reading it again costs one
-- lookup instead of a replay of its events and six queries (BENCHMARKS.md). It is the answer for the
-- project's `version` on the day `as_of`: every change of the project bumps its version, and the day's figures
-- (used days, forecast, agreements in force, follow-ups) are those of `as_of`, so a document is served only
-- while both are current, and recomputed otherwise.
CREATE TABLE project_status_documents (
    project_id  bigint  PRIMARY KEY REFERENCES projects,
    version     integer NOT NULL,
    as_of       date    NOT NULL,
    -- Departments with an item that applies, for reviewers' visibility (Access.canSee).
    departments text[]  NOT NULL,
    body        bytea   NOT NULL
);

-- The one part of the answer that changes without the project: its agent's name, phone and level.
CREATE FUNCTION forget_agent_status_documents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM project_status_documents d USING projects p WHERE p.id = d.project_id AND p.agent_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER users_status_documents AFTER UPDATE ON users FOR EACH ROW
    WHEN ((OLD.name, OLD.phone, OLD.agent_level) IS DISTINCT FROM (NEW.name, NEW.phone, NEW.agent_level))
    EXECUTE FUNCTION forget_agent_status_documents();
