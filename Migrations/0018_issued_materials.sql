-- A document a department's decision issued (电子证照) sits in the investor's library but is the department's: it
-- names the project and item that issued it, takes none of the organisation's quota, and only its department adds
-- to it. A material an investor uploaded of the same kind names nothing, so a reviewer can tell the two apart.
ALTER TABLE materials
    ADD COLUMN issued_by_project bigint REFERENCES projects,
    ADD COLUMN issued_by_item    text,
    ADD CONSTRAINT materials_issued_whole CHECK ((issued_by_project IS NULL) = (issued_by_item IS NULL));

-- Documents issued before this migration, told apart by their events.
UPDATE materials m SET issued_by_project = e.project_id, issued_by_item = e.item_id
FROM events e WHERE e.kind = 'material.issued' AND (e.payload->>'material')::bigint = m.id;

-- Stored status answers lack what materials carry now (`issued`); they are computed again on the next read.
DELETE FROM project_status_documents;
