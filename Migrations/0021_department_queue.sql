-- The department window's queue (待办): what waits for a department, read from the items without loading any
-- project. An item's row now also says when a 容缺 commitment is due (until it is kept) and whether an extension
-- waits for the head's decision; rows of projects not changed since are filled at their next change.
ALTER TABLE items
    ADD COLUMN commitment_due  date,
    ADD COLUMN extension_asked boolean NOT NULL DEFAULT false;
CREATE INDEX items_open_by_department ON items (department, state, deadline) WHERE state IN ('submitted', 'accepted', 'suspended');
CREATE INDEX items_commitments_due ON items (department, commitment_due) WHERE commitment_due IS NOT NULL;
CREATE INDEX items_extensions_asked ON items (department) WHERE extension_asked;
CREATE INDEX formal_documents_owed ON formal_documents (department, due_on) WHERE issued_on IS NULL;
