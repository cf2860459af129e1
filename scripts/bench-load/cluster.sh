# What scripts/bench and scripts/bench-materials share: the private PostgreSQL cluster in .bench/pg (tuned for this
# machine's 24 GiB like a dedicated server would be; durability as in production, fsync and synchronous_commit on,
# so PostgreSQL's own figures and the server's pay the same price per commit), the tools, and a release build.
# Sourced with ROOT set to the repository.
BENCH=$ROOT/.bench
PG=$BENCH/pg
SOCKET=$PG
LOG=$BENCH/log
mkdir -p "$BENCH" "$LOG"

if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then export PATH="/opt/swift/usr/bin:$PATH"; fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null; }
done
[ -x "$PGBIN/pgbench" ] || { echo "bench: PostgreSQL's server programs and pgbench are needed (apt-get install postgresql)"; exit 1; }

say() { echo "bench: $*"; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_q() { "$PGBIN/psql" -h "$SOCKET" -U postgres -X -qAt "$@"; }

say "release build"
swift build -c release --product approvals >"$LOG/build.txt" 2>&1 || { tail -30 "$LOG/build.txt"; exit 1; }
APPROVALS=$ROOT/.build/release/approvals

if [ ! -f "$PG/data/PG_VERSION" ]; then
  say "initdb $PG/data"
  mkdir -p "$PG"
  [ "$(id -u)" = 0 ] && chown -R postgres "$PG"
  as_pg "$PGBIN/initdb" -D "$PG/data" -U postgres -A trust >"$LOG/initdb.txt"
fi
if ! "$PGBIN/pg_isready" -h "$SOCKET" -q 2>/dev/null; then
  as_pg "$PGBIN/pg_ctl" -D "$PG/data" -l "$PG/server.log" -w start -o "-k $SOCKET -c listen_addresses='' \
    -c shared_buffers=4GB -c effective_cache_size=16GB -c work_mem=64MB -c maintenance_work_mem=1GB \
    -c max_wal_size=16GB -c checkpoint_timeout=30min -c max_connections=200 -c random_page_cost=1.1 \
    -c shared_preload_libraries=pg_stat_statements" >/dev/null
fi
