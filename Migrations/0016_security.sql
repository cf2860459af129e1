-- Issue 23: safe to run inside a government network.

-- The audit trail is append-only inside the database as well: an UPDATE, DELETE or TRUNCATE of events is refused
-- whoever sends it. A database owner can still drop the trigger, which is why `approvals audit checkpoint` keeps
-- signed chain heads outside the database (README, "Deploying").
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

-- A token may be issued for a period; NULL means until revoked.
ALTER TABLE tokens ADD COLUMN expires_at timestamptz;

-- A token whose secret someone chose rather than drew at random (the demo's, the tests', the seed's before this
-- migration): public, so `serve` outside development refuses to start while one still signs a user in.
ALTER TABLE tokens ADD COLUMN public_secret boolean NOT NULL DEFAULT false;
UPDATE tokens SET public_secret = true
WHERE digest IN (SELECT sha256(convert_to(secret, 'UTF8')) FROM unnest(ARRAY[
    'demo-admin', 'demo-investor', 'demo-reviewer', 'demo-planning-reviewer', 'demo-coordinator', 'demo-leader', 'demo-agent',
    'demo-agent-city', 'demo-agent-township', 'seed-admin', 'seed-leader']) AS secret);

-- A dashboard session lasts only as long as the token it was opened with: revoking or expiring the token ends it.
-- Sessions opened before this migration name no token and end now.
DELETE FROM dashboard_sessions;
ALTER TABLE dashboard_sessions ADD COLUMN token_id bigint NOT NULL REFERENCES tokens;

-- An agreement the agency centre recorded from a paper one the investor signed, rather than one the investor
-- authorised in the system: shown as such, and the investor is told (two people for consent by absence).
ALTER TABLE agency_agreements ADD COLUMN on_paper boolean NOT NULL DEFAULT false;
UPDATE agency_agreements a SET on_paper = true FROM users u WHERE u.id = a.authorised_by AND u.role <> 'investor';

-- When a subscription was last re-driven: re-driving is rate-limited per subscription.
ALTER TABLE webhook_subscriptions ADD COLUMN redriven_at timestamptz;

-- Retention: stored idempotent answers and old notifications are pruned by age (the sweeper, in batches).
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
CREATE INDEX notifications_at ON notifications (at);
CREATE INDEX webhook_deliveries_notification ON webhook_deliveries (notification_id);
