-- Workflow definitions as loaded: a running project points at the version it started with, so a later edit of
-- the YAML never changes it. `source` is the file's text, re-parsed at start-up.
CREATE TABLE workflow_versions (
    id          bigserial PRIMARY KEY,
    workflow_id text        NOT NULL,
    version     integer     NOT NULL,
    digest      text        NOT NULL,
    source      text        NOT NULL,
    loaded_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workflow_id, version)
);

CREATE TABLE users (
    id           bigserial PRIMARY KEY,
    name         text        NOT NULL,
    role         text        NOT NULL CHECK (role IN ('investor', 'agent', 'reviewer', 'coordinator', 'leader', 'admin')),
    region       text        NOT NULL CHECK (region ~ '^[0-9]{6}$'),
    department   text CHECK ((role = 'reviewer') = (department IS NOT NULL)),
    organisation text CHECK (role <> 'investor' OR organisation IS NOT NULL),
    phone        text,
    active       boolean     NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Bearer tokens are kept only as SHA-256 digests of the secret.
CREATE TABLE tokens (
    id         bigserial PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users,
    digest     bytea       NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

CREATE TABLE projects (
    id                  bigserial PRIMARY KEY,
    code                text        NOT NULL UNIQUE,
    code_issued_locally boolean     NOT NULL,
    name                text        NOT NULL,
    investor_org        text        NOT NULL,
    region              text        NOT NULL CHECK (region ~ '^[0-9]{6}$'),
    attributes          jsonb       NOT NULL,
    workflow_version_id bigint      NOT NULL REFERENCES workflow_versions,
    started_on          date        NOT NULL,
    current_stage       text,
    completed           boolean     NOT NULL DEFAULT false,
    warning             text        NOT NULL DEFAULT 'none',
    used_days           integer     NOT NULL DEFAULT 0,
    agent_id            bigint REFERENCES users,
    -- Optimistic concurrency: the ETag. Bumped by every change.
    version             integer     NOT NULL DEFAULT 1,
    -- Head of the audit chain, so a deleted tail event is detected too.
    last_seq            integer     NOT NULL DEFAULT 0,
    last_hash           bytea       NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projects_region ON projects (region text_pattern_ops, id);
CREATE INDEX projects_investor ON projects (investor_org, id);
CREATE INDEX projects_agent ON projects (agent_id, id) WHERE agent_id IS NOT NULL;

-- One row per item of each project, written with every change: the queryable face of the project (lists,
-- reports, metrics). The truth is the event log it is derived from.
CREATE TABLE items (
    project_id           bigint  NOT NULL REFERENCES projects ON DELETE CASCADE,
    item_id              text    NOT NULL,
    stage_id             text    NOT NULL,
    department           text    NOT NULL,
    state                text    NOT NULL,
    state_since          date    NOT NULL,
    limit_days           integer NOT NULL,
    used_days            integer NOT NULL,
    deadline             date,
    deadline_provisional boolean NOT NULL DEFAULT false,
    PRIMARY KEY (project_id, item_id)
);
CREATE INDEX items_department ON items (department, project_id);
CREATE INDEX items_state ON items (state);

-- The audit trail: each event is chained to the previous one of its project by SHA-256, over a canonical
-- encoding of the event (see AuditChain.swift). Rows are only ever inserted.
CREATE TABLE events (
    project_id bigint      NOT NULL REFERENCES projects,
    seq        integer     NOT NULL,
    at         timestamptz NOT NULL,
    on_date    date        NOT NULL,
    kind       text        NOT NULL,
    item_id    text,
    actor_id   bigint      NOT NULL REFERENCES users,
    payload    jsonb       NOT NULL,
    prev_hash  bytea       NOT NULL,
    hash       bytea       NOT NULL,
    PRIMARY KEY (project_id, seq)
);

-- Serials of locally issued project codes, per time code and region.
CREATE TABLE local_code_serials (
    prefix text    PRIMARY KEY,
    last   integer NOT NULL
);

-- A write's first response, replayed when the same client retries with the same key.
CREATE TABLE idempotency_keys (
    user_id         bigint      NOT NULL REFERENCES users,
    key             text        NOT NULL,
    request_digest  bytea       NOT NULL,
    response_status integer,
    response_body   text,
    response_etag   text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
