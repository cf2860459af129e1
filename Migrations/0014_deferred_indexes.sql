-- Indexes `approvals seed` dropped to load an empty province faster, with the statement that builds each again,
-- kept until it has (BENCHMARKS.md: indexes built once after the load instead of maintained row by row). A row
-- left behind means a seed was interrupted; the next seed builds its index first.
CREATE TABLE deferred_indexes (
    name        text        PRIMARY KEY,
    on_table    text        NOT NULL,
    -- CREATE INDEX …, or ALTER TABLE … ADD CONSTRAINT … for a key.
    definition  text        NOT NULL,
    deferred_at timestamptz NOT NULL DEFAULT now()
);
