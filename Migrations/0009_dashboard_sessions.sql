-- Sign-ins to the leaders' dashboard: the cookie holds a random session id, only its SHA-256 digest is kept here.
CREATE TABLE dashboard_sessions (
    digest     bytea       PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);
