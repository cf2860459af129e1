#!/usr/bin/env bash
# PostgreSQL's own floor for the generator budget: the rows `approvals seed` wrote for the first N projects of a
# seeded database, loaded again by PostgreSQL alone, in the cheapest order there is — COPY FROM files of those
# rows into empty copies of the tables without any index, foreign key or trigger, then the tables' indexes built
# once at the end — in two sessions at once (as the seeder's two workers). No Swift in between: whatever the
# generator does, it cannot load these rows and index them faster. The copies start empty and small, so below the
# seeded count this is a lower bound for N projects' share of a larger load. The copies and files are removed
# afterwards; needs a superuser (server-side COPY files).
# Usage: seed-floor.sh N   (with PGHOST, PGUSER and PGDATABASE naming the seeded database); prints seconds.
set -euo pipefail
N=${1:?usage: seed-floor.sh N}
# Every table the seeder writes; all but the first two hang off a project by project_id.
TABLES="users projects items events agent_assignments agency_agreements progress_updates formal_documents difficult_cases ratings"
CHILDREN=${TABLES#users projects }
DIR=${FLOOR_DIR:-/tmp/seed-floor}
q() { psql -X -qAt -v ON_ERROR_STOP=1 "$@"; }

drop_copies() {
  rm -rf "$DIR"
  { echo "SET client_min_messages = warning;"; for t in $TABLES; do echo "DROP TABLE IF EXISTS floor_$t;"; done; } | q
}
drop_copies
trap drop_copies EXIT
for t in $TABLES; do echo "CREATE TABLE floor_$t (LIKE $t INCLUDING DEFAULTS);"; done | q
# Each session's share: the projects of the first N by id, split by parity (the investors' users go with the
# first). Exported as COPY text first, untimed; the timed part is COPY FROM those files (what the seeder sends,
# parsed by PostgreSQL alone), then the index builds.
mkdir -p "$DIR" && chmod 777 "$DIR"
for share in 0 1; do
  {
    echo "CREATE TEMP TABLE share AS SELECT id, investor_org FROM projects WHERE id <= $N AND id % 2 = $share;"
    [ $share = 0 ] && echo "COPY (SELECT u.* FROM users u WHERE u.role = 'investor' AND u.organisation IN (SELECT investor_org FROM share)) TO '$DIR/users.$share';"
    echo "COPY (SELECT p.* FROM projects p JOIN share s USING (id)) TO '$DIR/projects.$share';"
    for t in $CHILDREN; do echo "COPY (SELECT r.* FROM $t r JOIN share s ON s.id = r.project_id) TO '$DIR/$t.$share';"; done
  } | q
done
load() {
  local share=$1
  echo "BEGIN;"
  for t in $TABLES; do [ -f "$DIR/$t.$share" ] && echo "COPY floor_$t FROM '$DIR/$t.$share';"; done
  echo "COMMIT;"
}
start=$(date +%s.%N)
load 0 | q &
first=$!
load 1 | q
wait $first
loaded=$(date +%s.%N)
# The same indexes as the real tables', renamed onto the copies; each session builds those of alternate tables.
indexes() {
  local share=$1 i=0
  for t in $TABLES; do
    i=$((i + 1)); [ $((i % 2)) = "$share" ] || continue
    q -c "SELECT regexp_replace(indexdef, 'INDEX (\S+) ON public\.(\S+)', 'INDEX floor_\1 ON public.floor_\2') || ';'
          FROM pg_indexes WHERE schemaname = 'public' AND tablename = '$t'"
  done
}
indexes 0 | q &
first=$!
indexes 1 | q
wait $first
end=$(date +%s.%N)
rows=0
for t in $TABLES; do rows=$((rows + $(q -c "SELECT count(*) FROM floor_$t"))); done
echo "$N projects: $rows rows in $(echo "$end - $start" | bc) s (COPY $(echo "$loaded - $start" | bc) s, indexes $(echo "$end - $loaded" | bc) s)"
