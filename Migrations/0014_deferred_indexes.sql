-- Indexes `approvals seed` dropped to load an empty province faster, kept here until it has built them again
-- (BENCHMARKS.md: a million projects load in half the time when their secondary indexes are built once at the
-- end instead of maintained row by row). A row left behind means a seed was interrupted; the next seed builds
-- its index first. Only non-unique indexes are ever deferred, so no rule on the data is lifted meanwhile.
CREATE TABLE deferred_indexes (
    name        text        PRIMARY KEY,
    definition  text        NOT NULL,
    deferred_at timestamptz NOT NULL DEFAULT now()
);
