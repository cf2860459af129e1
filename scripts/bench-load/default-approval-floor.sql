-- PostgreSQL's own floor for the sweeper budget: the rows that N default approvals must write, written
-- set-based in one transaction with no application in between, then rolled back. Whatever the sweeper does,
-- it cannot default-approve faster than this on the same machine.
-- Usage: psql -v n=20000 -f default-approval-floor.sql DATABASE   (prints the time of each step)
\set ON_ERROR_STOP on
BEGIN;
-- N open items, one per project, as the sweeper would claim them (not timed: the claim is a read).
CREATE TEMP TABLE due ON COMMIT DROP AS
SELECT DISTINCT ON (i.project_id) i.project_id, i.item_id, i.department, p.last_seq, p.last_hash, p.region,
       p.investor_org, p.agent_id
FROM items i JOIN projects p ON p.id = i.project_id
WHERE i.state = 'accepted'
ORDER BY i.project_id, i.item_id
LIMIT :n;
SELECT count(*) AS default_approvals FROM due;
\timing on
-- The default approval event, chained to the project's last one (the hash is computed here, as the server would).
INSERT INTO events (project_id, seq, at, on_date, kind, item_id, actor_id, payload, prev_hash, hash)
SELECT project_id, last_seq + 1, now(), current_date, 'item.default_approve', item_id,
       (SELECT min(id) FROM users WHERE role = 'admin'),
       jsonb_build_object('from', 'accepted', 'to', 'default_approved', 'reason', 'timeout', 'deadline', current_date - 1,
                          'limitDays', 20, 'usedDays', 20),
       last_hash, sha256(last_hash || convert_to(item_id, 'UTF8'))
FROM due;
-- Its notifications: the investor's users, the agent, the department's staff of the covering regions.
INSERT INTO notifications (user_id, project_id, event_seq, kind, item_id, audience, title, details, at)
SELECT recipient.user_id, d.project_id, d.last_seq + 1, 'item.default_approve', d.item_id, recipient.audience,
       '事项超时默认通过', jsonb_build_object('item', d.item_id, 'department', d.department), now()
FROM due d
CROSS JOIN LATERAL (
    SELECT u.id AS user_id, 'investor' AS audience FROM users u WHERE u.role = 'investor' AND u.organisation = d.investor_org
    UNION ALL SELECT d.agent_id, 'agent' WHERE d.agent_id IS NOT NULL
    UNION ALL SELECT u.id, 'department' FROM users u
        WHERE u.role IN ('reviewer', 'leader', 'coordinator') AND u.region = ANY (ARRAY[d.region, left(d.region, 4) || '00', '000000'])
          AND (u.role <> 'reviewer' OR u.department = d.department)
) recipient;
-- The formal document the department now owes, the item's row, the project's row.
INSERT INTO formal_documents (project_id, item_id, department, default_approved_on, due_on)
SELECT project_id, item_id, department, current_date, current_date + 1 FROM due
ON CONFLICT (project_id, item_id) DO NOTHING;
UPDATE items i SET state = 'default_approved', default_reason = 'timeout', state_since = current_date
FROM due d WHERE i.project_id = d.project_id AND i.item_id = d.item_id;
UPDATE projects p SET last_seq = d.last_seq + 1, version = p.version + 1, last_hash = sha256(d.last_hash || convert_to(d.item_id, 'UTF8')),
       next_due_at = now() + interval '1 day'
FROM due d WHERE p.id = d.project_id;
SELECT compact_report_tallies();
\timing off
ROLLBACK;
