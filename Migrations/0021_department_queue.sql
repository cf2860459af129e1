-- The department window's queue (待办): what waits for a department, read from the items without loading any
-- project. An item's row now also says when a 容缺 commitment is due (until it is kept), whether an extension
-- waits for the head's decision and what a suspended item waits for; rows of projects not changed since are filled
-- at their next change.
ALTER TABLE items
    ADD COLUMN commitment_due  date,
    ADD COLUMN extension_asked boolean NOT NULL DEFAULT false,
    -- While suspended: what for (补正材料 and what was asked for, 听证, 专家评审 …).
    ADD COLUMN waiting_for     text;
CREATE INDEX items_open_by_department ON items (department, state, deadline) WHERE state IN ('submitted', 'accepted', 'suspended');
CREATE INDEX items_commitments_due ON items (department, commitment_due) WHERE commitment_due IS NOT NULL;
CREATE INDEX items_extensions_asked ON items (department) WHERE extension_asked;
CREATE INDEX formal_documents_owed ON formal_documents (department, due_on) WHERE issued_on IS NULL;

-- Projects with a 容缺 commitment still to be kept are swept once at once, which writes their item rows (and so
-- the commitment's due date) as they stand.
UPDATE projects p SET next_due_at = now()
WHERE EXISTS (
    SELECT 1 FROM events a
    WHERE a.project_id = p.id AND a.kind = 'item.accept' AND a.payload ? 'commitment'
      AND NOT EXISTS (SELECT 1 FROM events f WHERE f.project_id = a.project_id AND f.item_id = a.item_id
                                                AND f.kind = 'item.fulfil_commitment' AND f.seq > a.seq));
