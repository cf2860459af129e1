-- Issue 24: the material library (材料库). Content is stored once per SHA-256, in the database (the default, so
-- backups and transactions cover it) or in a directory (a NAS mount); a material is an organisation's named
-- document with versions, each version pointing at one content.

-- One stored content. `digest` is NULL while its upload is in progress (the upload's transaction then either
-- sets it or rolls the row back, so no half-written content is ever visible).
CREATE TABLE material_contents (
    id         bigserial   PRIMARY KEY,
    digest     bytea       UNIQUE,
    size       bigint      NOT NULL,
    media_type text        NOT NULL,
    -- Where the bytes are: 'database' (material_chunks) or 'directory' (a file named by the digest).
    stored_in  text        NOT NULL CHECK (stored_in IN ('database', 'directory')),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The bytes of a content stored in the database, in chunks of at most 1 MiB, so neither an upload nor a download
-- holds a whole file in memory.
CREATE TABLE material_chunks (
    content_id bigint  NOT NULL REFERENCES material_contents ON DELETE CASCADE,
    n          integer NOT NULL,
    bytes      bytea   NOT NULL,
    PRIMARY KEY (content_id, n)
);

CREATE TABLE materials (
    id           bigserial   PRIMARY KEY,
    organisation text        NOT NULL,
    name         text        NOT NULL,
    -- The reusable kind (materials.yaml), when it is one.
    kind         text,
    valid_from   date,
    valid_until  date,
    created_by   bigint      NOT NULL REFERENCES users,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX materials_organisation ON materials (organisation, id);
CREATE INDEX materials_kind ON materials (organisation, kind) WHERE kind IS NOT NULL;

CREATE TABLE material_versions (
    material_id bigint      NOT NULL REFERENCES materials,
    version     integer     NOT NULL,
    content_id  bigint      NOT NULL REFERENCES material_contents,
    file_name   text        NOT NULL,
    uploaded_by bigint      NOT NULL REFERENCES users,
    uploaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (material_id, version)
);
CREATE INDEX material_versions_content ON material_versions (content_id);

-- Downloads, for the access log (who read which version when).
CREATE TABLE material_downloads (
    material_id bigint      NOT NULL,
    version     integer     NOT NULL,
    user_id     bigint      NOT NULL REFERENCES users,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX material_downloads_material ON material_downloads (material_id, at);

-- A library material attached to one requirement of one item of a project: the application's materials. The
-- attaching and detaching are events of the project's audit chain too.
CREATE TABLE item_materials (
    project_id     bigint  NOT NULL REFERENCES projects,
    item_id        text    NOT NULL,
    requirement_id text    NOT NULL,
    material_id    bigint  NOT NULL,
    version        integer NOT NULL,
    attached_by    bigint  NOT NULL REFERENCES users,
    attached_on    date    NOT NULL,
    PRIMARY KEY (project_id, item_id, requirement_id),
    FOREIGN KEY (material_id, version) REFERENCES material_versions
);
CREATE INDEX item_materials_material ON item_materials (material_id);
