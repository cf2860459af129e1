-- The notification outbox: one row per recipient of an event that someone must hear about (accepted,
-- supplement requested, decided, default-approved, warnings, escalations). Written in the transaction of the
-- event that causes it, so a notification exists exactly when its event does.
CREATE TABLE notifications (
    id         bigserial   PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users,
    project_id bigint      NOT NULL REFERENCES projects,
    event_seq  integer     NOT NULL,
    kind       text        NOT NULL,
    item_id    text,
    -- Why this user hears about it: investor, agent, department, lead_department or leader.
    audience   text        NOT NULL,
    title      text        NOT NULL,
    details    jsonb       NOT NULL,
    at         timestamptz NOT NULL
);
CREATE INDEX notifications_user ON notifications (user_id, id);

-- Webhooks: a user's endpoint and the secret its deliveries are signed with (HMAC-SHA256). The secret is kept
-- in clear because signing needs it; it is never returned by the API.
CREATE TABLE webhook_subscriptions (
    id         bigserial   PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users,
    url        text        NOT NULL,
    secret     text        NOT NULL,
    active     boolean     NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_subscriptions_user ON webhook_subscriptions (user_id) WHERE active;

-- One delivery of one notification to one subscription. Pending deliveries are claimed by next_attempt_at
-- with FOR UPDATE SKIP LOCKED; a claim pushes next_attempt_at past the request timeout, so a worker that dies
-- mid-request leaves the delivery to be retried rather than lost. After max attempts it is dead (a dead
-- letter) until someone re-drives it.
CREATE TABLE webhook_deliveries (
    id              bigserial   PRIMARY KEY,
    subscription_id bigint      NOT NULL REFERENCES webhook_subscriptions,
    notification_id bigint      NOT NULL REFERENCES notifications,
    state           text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    last_status     integer,
    last_error      text,
    delivered_at    timestamptz,
    UNIQUE (subscription_id, notification_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, id);
