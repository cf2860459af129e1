#!/usr/bin/env python3
"""The fault drill (RELIABILITY.md), run by scripts/drill: the production topology of README "Production topology"
on one machine over loopback — etcd, two Patroni nodes with synchronous replication, HAProxy, two `serve` replicas
and two sweepers — with a client that records every acknowledged write, and one fault at a time. After each fault
it checks that every acknowledged write is there exactly once, that no effect of the sweeper happened twice, and
that every audit chain verifies, and it measures the time from the fault to the first write acknowledged after it.

Every process it starts is stopped by its process id on any exit. Settings (environment):
  APPROVALS_BIN   the binary (default .build/debug/approvals)
  DRILL_DIR       all state, wiped at start (default /tmp/approvals-drill)
  DRILL_PORT_BASE ports used: BASE+0 … BASE+99 on 127.0.0.1 (default 27000)
  DRILL_HOLD=1    build the topology, print how to reach it, and wait (until SIGTERM/SIGINT) instead of drilling
  APPROVALS_WORKFLOWS, APPROVALS_MIGRATIONS  the definitions (default Workflows, Migrations), copied at the start
  DRILL_WRITE=0   do not write RELIABILITY.md (it is written after every complete run, failed or not)
  DRILL_FAULTS    only these faults (comma-separated names from FAULTS), after the baseline
  DRILL_HOLD_ON_FAILURE=1  after a failure, keep everything running for a look (until SIGTERM/SIGINT)
"""
import base64
import datetime
import http.client
import json
import os
import platform
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
BIN = os.path.abspath(os.environ.get("APPROVALS_BIN", ".build/debug/approvals"))
DIR = os.path.abspath(os.environ.get("DRILL_DIR", "/tmp/approvals-drill"))
BASE = int(os.environ.get("DRILL_PORT_BASE", "27000"))
PGBIN = os.environ.get("PGBIN") or sorted((f"/usr/lib/postgresql/{v}/bin" for v in os.listdir("/usr/lib/postgresql")
                                           if os.path.isdir(f"/usr/lib/postgresql/{v}/bin")), key=lambda p: int(p.split("/")[4]))[-1]
LOG = os.path.join(DIR, "log")
# The definitions the binary reads, copied at the start so that edits in the checkout during a run change nothing.
SOURCE_WORKFLOWS = os.path.abspath(os.environ.get("APPROVALS_WORKFLOWS", "Workflows"))
SOURCE_MIGRATIONS = os.path.abspath(os.environ.get("APPROVALS_MIGRATIONS", "Migrations"))
WORKFLOWS = os.path.join(DIR, "definitions", "Workflows")
MIGRATIONS = os.path.join(DIR, "definitions", "Migrations")

# Patroni's timing, as in deploy/patroni/patroni.yml.
TTL, LOOP_WAIT, RETRY_TIMEOUT = 30, 10, 10

PORTS = {"pg-rw": BASE + 0, "pg-ro": BASE + 1, "etcd": BASE + 79, "etcd-peer": BASE + 80, "api": BASE + 88}
NODES = {
    "node1": {"rest": BASE + 8, "pg": BASE + 32},
    "node2": {"rest": BASE + 9, "pg": BASE + 33},
}
REPLICAS = {"serve1": BASE + 81, "serve2": BASE + 82}
SWEEPERS = ["sweeper1", "sweeper2"]

SCOPE = "approvals-drill"
BASE_PROJECTS = int(os.environ.get("DRILL_PROJECTS", "300"))    # the province seeded at the start
BACKLOG = int(os.environ.get("DRILL_BACKLOG", "1500"))          # projects of each sweeper backlog
SECRET = {name: secrets.token_urlsafe(18) for name in ("superuser", "replication", "rewind", "restapi", "owner", "app")}
OWNER_URL = f"postgres://approvals:{SECRET['owner']}@127.0.0.1:{PORTS['pg-rw']}/approvals?sslmode=disable"
SUPER_URL = f"postgres://postgres:{SECRET['superuser']}@127.0.0.1:{PORTS['pg-rw']}/approvals?sslmode=disable"
APP_URL = f"postgres://approvals_app:{SECRET['app']}@127.0.0.1:{PORTS['pg-rw']}/approvals?sslmode=disable"
API = f"http://127.0.0.1:{PORTS['api']}"

T0 = time.monotonic()


def say(message):
    print(f"drill [{time.monotonic() - T0:6.1f}s] {message}", flush=True)


class DrillFailure(Exception):
    pass


def fail(message):
    raise DrillFailure(message)


# ---------------------------------------------------------------------------------------------------------------
# Processes: every one this drill starts is kept here by name, and stopped by its process id.

PROCS = {}          # name -> subprocess.Popen
PROCS_LOCK = threading.Lock()
POSTGRES_USER = pwd.getpwnam("postgres") if os.geteuid() == 0 else None


def spawn(name, argv, env=None, as_postgres=False):
    log = open(os.path.join(LOG, f"{name}.log"), "ab")
    log.write(f"\n==== {datetime.datetime.now().isoformat()} start: {' '.join(argv)}\n".encode())
    log.flush()
    kwargs = {}
    full_env = dict(os.environ)
    full_env.update(env or {})
    if as_postgres and POSTGRES_USER:
        # PostgreSQL refuses to run as root: Patroni and its PostgreSQL run as the postgres user. The process id
        # kept is Patroni's own (no runuser in between), so a SIGKILL reaches it.
        kwargs.update(user=POSTGRES_USER.pw_uid, group=POSTGRES_USER.pw_gid, extra_groups=[])
        full_env.update(HOME=POSTGRES_USER.pw_dir, USER="postgres", LOGNAME="postgres")
    # A session of its own: a ^C at the terminal reaches only the drill, which stops everything in order.
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=full_env,
                            cwd=ROOT, start_new_session=True, **kwargs)
    log.close()
    with PROCS_LOCK:
        PROCS[name] = proc
    return proc


def alive(name):
    proc = PROCS.get(name)
    return proc is not None and proc.poll() is None


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def stop(name, sig=signal.SIGTERM, timeout=30):
    """Stops one process started here, by its id: `sig`, then SIGKILL after `timeout` seconds."""
    proc = PROCS.get(name)
    if proc is None or proc.poll() is not None:
        return True
    try:
        os.kill(proc.pid, sig)
    except ProcessLookupError:
        return True
    try:
        proc.wait(timeout)
        return True
    except subprocess.TimeoutExpired:
        say(f"{name} (pid {proc.pid}) did not stop within {timeout}s: SIGKILL")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        return False


def postmaster_pid(node):
    """The pid of the node's postmaster (postmaster.pid), if that process is alive and is that postmaster."""
    path = os.path.join(DIR, node, "data", "postmaster.pid")
    try:
        with open(path) as f:
            pid = int(f.readline().strip())
    except (OSError, ValueError):
        return None
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    return pid if "postgres" in cmdline and os.path.join(DIR, node, "data") in cmdline else None


CLEANED = False


def cleanup():
    global CLEANED
    if CLEANED:
        return
    CLEANED = True
    CLIENT_STOP.set()
    names = list(PROCS)
    order = ([n for n in names if n.startswith("serve")] + [n for n in names if n.startswith("sweeper")] +
             [n for n in names if n in ("haproxy",)] + [n for n in names if n.startswith("patroni")])
    for name in order:
        if alive(name):
            say(f"stopping {name} (pid {PROCS[name].pid})")
            stop(name, timeout=40 if name.startswith("patroni") else 15)
    # A postmaster whose Patroni was killed outlives it: stop it by the pid in its postmaster.pid.
    for node in NODES:
        pid = postmaster_pid(node)
        if pid:
            say(f"stopping the postmaster of {node} (pid {pid})")
            os.kill(pid, signal.SIGINT)
            for _ in range(300):
                if not pid_alive(pid):
                    break
                time.sleep(0.1)
            else:
                os.kill(pid, signal.SIGKILL)
    if alive("etcd"):
        say(f"stopping etcd (pid {PROCS['etcd'].pid})")
        stop("etcd")
    for name, proc in PROCS.items():
        if proc.poll() is None:
            say(f"warning: {name} (pid {proc.pid}) is still running")


def on_signal(signum, frame):
    raise SystemExit(128 + signum)


# ---------------------------------------------------------------------------------------------------------------
# Small tools.

def wait_for(what, check, timeout, interval=0.25):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as error:  # noqa: BLE001 — a probe that fails is a probe that is not ready yet
            last = error
        time.sleep(interval)
    fail(f"timed out after {timeout}s waiting for {what}" + (f" (last error: {last})" if last else ""))


def http_get(url, timeout=3, auth=None):
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def run(argv, timeout=120, env=None, check=True, input=None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=full_env, input=input)
    if check and result.returncode != 0:
        fail(f"{' '.join(argv[:3])} … exited {result.returncode}: {result.stderr.strip()[-2000:] or result.stdout.strip()[-2000:]}")
    return result


def psql(sql, user="approvals", database="approvals", timeout=60, port=None):
    password = SECRET["superuser"] if user == "postgres" else SECRET["owner"]
    result = run([f"{PGBIN}/psql", "-X", "-qAt", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                  str(port or PORTS["pg-rw"]), "-U", user, "-d", database, "-F", "\t", "-c", sql],
                 timeout=timeout, env={"PGPASSWORD": password, "PGCONNECT_TIMEOUT": "5"})
    return [line.split("\t") for line in result.stdout.splitlines() if line != ""]


def approvals(*args, url=OWNER_URL, timeout=300, check=True):
    return run([BIN, *args, "--log-level", "warning"], timeout=timeout, check=check,
               env={"DATABASE_URL": url, "APPROVALS_WORKFLOWS": WORKFLOWS,
                    "APPROVALS_MIGRATIONS": MIGRATIONS})


# ---------------------------------------------------------------------------------------------------------------
# The topology.

def patroni_config(node):
    ports = NODES[node]
    home = os.path.join(DIR, node)
    return f"""# Written by scripts/drill from deploy/patroni/patroni.yml: loopback, no TLS, small memory, no WAL archive.
scope: {SCOPE}
namespace: /service/
name: {node}
log:
  level: INFO
restapi:
  listen: 127.0.0.1:{ports['rest']}
  connect_address: 127.0.0.1:{ports['rest']}
  authentication:
    username: patroni
    password: {SECRET['restapi']}
ctl:
  authentication:
    username: patroni
    password: {SECRET['restapi']}
etcd3:
  hosts: 127.0.0.1:{PORTS['etcd']}
bootstrap:
  dcs:
    ttl: {TTL}
    loop_wait: {LOOP_WAIT}
    retry_timeout: {RETRY_TIMEOUT}
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    synchronous_mode_strict: false
    postgresql:
      use_pg_rewind: true
      remove_data_directory_on_rewind_failure: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        synchronous_commit: "on"
        max_connections: 200
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 512MB
        wal_log_hints: "on"
        shared_buffers: 128MB
        logging_collector: "on"
        log_directory: log
        log_filename: postgresql.log
        log_rotation_age: 0
        log_rotation_size: 0
        log_line_prefix: "%m [%p] %q%u@%d "
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - data-checksums
    - auth-local: peer
    - auth-host: scram-sha-256
  pg_hba:
    - local all all peer
    - host replication replicator 127.0.0.1/32 scram-sha-256
    - host all postgres,rewinder 127.0.0.1/32 scram-sha-256
    - host approvals approvals,approvals_app 127.0.0.1/32 scram-sha-256
postgresql:
  listen: 127.0.0.1:{ports['pg']}
  connect_address: 127.0.0.1:{ports['pg']}
  data_dir: {home}/data
  bin_dir: {PGBIN}
  pgpass: {home}/pgpass
  authentication:
    superuser:
      username: postgres
      password: {SECRET['superuser']}
    replication:
      username: replicator
      password: {SECRET['replication']}
    rewind:
      username: rewinder
      password: {SECRET['rewind']}
  parameters:
    unix_socket_directories: {home}
tags:
  nofailover: false
  noloadbalance: false
  clonefrom: false
  nosync: false
"""


def haproxy_config():
    servers_pg = "\n".join(f"    server {node} 127.0.0.1:{p['pg']} maxconn 100 check port {p['rest']}" for node, p in NODES.items())
    servers_api = "\n".join(f"    server {name} 127.0.0.1:{port} check" for name, port in REPLICAS.items())
    return f"""# Written by scripts/drill from deploy/haproxy/haproxy.cfg, on loopback ports.
global
    maxconn 4000
    log stdout format raw local0
    stats socket {DIR}/haproxy.sock mode 600 level admin

defaults
    log global
    timeout connect 4s
    timeout client 60s
    timeout server 60s
    timeout check 3s

frontend approvals_api
    mode http
    option httplog
    bind 127.0.0.1:{PORTS['api']}
    default_backend approvals_replicas

backend approvals_replicas
    mode http
    balance leastconn
    option httpchk GET /healthz
    http-check expect status 200
    option redispatch
    retries 2
    default-server inter 2s fall 2 rise 2
{servers_api}

listen postgres_primary
    mode tcp
    bind 127.0.0.1:{PORTS['pg-rw']}
    timeout client 12h
    timeout server 12h
    option tcplog
    option httpchk GET /primary
    http-check expect status 200
    default-server inter 1s fall 2 rise 2 on-marked-down shutdown-sessions
{servers_pg}

listen postgres_standbys
    mode tcp
    bind 127.0.0.1:{PORTS['pg-ro']}
    timeout client 12h
    timeout server 12h
    balance roundrobin
    option httpchk GET /replica
    http-check expect status 200
    default-server inter 2s fall 2 rise 2 on-marked-down shutdown-sessions
{servers_pg}
"""


def haproxy_servers():
    """HAProxy's view: {(proxy, server): status} from its stats socket ('UP', 'DOWN', 'UP 1/2' …)."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(3)
        s.connect(os.path.join(DIR, "haproxy.sock"))
        s.sendall(b"show stat\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    lines = data.decode().splitlines()
    header = lines[0].lstrip("# ").split(",")
    rows = [dict(zip(header, line.split(","))) for line in lines[1:] if line]
    return {(r["pxname"], r["svname"]): r["status"] for r in rows if r["svname"] not in ("FRONTEND", "BACKEND")}


def haproxy_routes_to(node):
    """Whether HAProxy's leader port sends connections to `node` only."""
    servers = haproxy_servers()
    return all(status == "UP" if name == node else status.startswith("DOWN")
               for (proxy, name), status in servers.items() if proxy == "postgres_primary")


def cluster():
    """Patroni's view of the cluster, from whichever node answers: {name: member}."""
    for node, ports in NODES.items():
        if not alive(f"patroni-{node}"):
            continue
        try:
            status, body = http_get(f"http://127.0.0.1:{ports['rest']}/cluster", timeout=2)
            if status == 200:
                return {m["name"]: m for m in json.loads(body)["members"]}
        except OSError:
            continue
    return {}


def leader():
    for name, member in cluster().items():
        if member.get("role") == "leader" and member.get("state") == "running":
            return name
    return None


def healthy_pair():
    """The leader and its synchronous standby streaming, as Patroni reports them: (leader, standby) or None."""
    members = cluster()
    lead = [n for n, m in members.items() if m.get("role") == "leader" and m.get("state") == "running"]
    sync = [n for n, m in members.items() if m.get("role") == "sync_standby" and m.get("state") in ("streaming", "running")]
    if len(lead) == 1 and len(sync) == 1:
        status, _ = http_get(f"http://127.0.0.1:{NODES[lead[0]]['rest']}/primary", timeout=2)
        if status == 200:
            return lead[0], sync[0]
    return None


def start_patroni(node):
    config = os.path.join(DIR, node, "patroni.yml")
    spawn(f"patroni-{node}", ["/usr/bin/patroni", config], as_postgres=True)


def start_replica(name):
    spawn(name, [BIN, "serve", "--no-migrate", "--sweep-interval", "0", "--webhook-interval", "0",
                 "--port", str(REPLICAS[name]), "--log-level", "notice"],
          env={"DATABASE_URL": APP_URL, "APPROVALS_WORKFLOWS": WORKFLOWS,
               "APPROVALS_MIGRATIONS": MIGRATIONS})


def start_sweeper(name):
    spawn(name, [BIN, "sweeper", "--interval", "1", "--stall-limit", str(STALL_LIMIT),
                 "--log-level", os.environ.get("DRILL_SWEEPER_LOG_LEVEL", "info")],
          env={"DATABASE_URL": APP_URL, "APPROVALS_WORKFLOWS": WORKFLOWS,
               "APPROVALS_MIGRATIONS": MIGRATIONS})


def replica_ready(name):
    status, _ = http_get(f"http://127.0.0.1:{REPLICAS[name]}/readyz", timeout=2)
    return status == 200


def build_topology():
    for tool in ("/usr/bin/etcd", "/usr/bin/patroni", "/usr/bin/patronictl", "/usr/sbin/haproxy", f"{PGBIN}/postgres", BIN):
        if not os.access(tool, os.X_OK):
            fail(f"{tool} is missing")
    busy = [p for p in list(PORTS.values()) + [p for n in NODES.values() for p in n.values()] + list(REPLICAS.values())
            if not port_free(p)]
    if busy:
        fail(f"ports in use on 127.0.0.1: {busy} (another drill running? set DRILL_PORT_BASE)")

    say(f"etcd on 127.0.0.1:{PORTS['etcd']}")
    spawn("etcd", ["/usr/bin/etcd", "--name", "drill", "--data-dir", os.path.join(DIR, "etcd"),
                   "--listen-client-urls", f"http://127.0.0.1:{PORTS['etcd']}",
                   "--advertise-client-urls", f"http://127.0.0.1:{PORTS['etcd']}",
                   "--listen-peer-urls", f"http://127.0.0.1:{PORTS['etcd-peer']}",
                   "--initial-advertise-peer-urls", f"http://127.0.0.1:{PORTS['etcd-peer']}",
                   "--initial-cluster", f"drill=http://127.0.0.1:{PORTS['etcd-peer']}",
                   "--initial-cluster-state", "new", "--initial-cluster-token", "approvals-drill"])
    wait_for("etcd /health", lambda: http_get(f"http://127.0.0.1:{PORTS['etcd']}/health")[0] == 200, 30)

    for node in NODES:
        home = os.path.join(DIR, node)
        os.makedirs(home, mode=0o700)
        with open(os.path.join(home, "patroni.yml"), "w") as f:
            f.write(patroni_config(node))
        if POSTGRES_USER:
            os.chown(home, POSTGRES_USER.pw_uid, POSTGRES_USER.pw_gid)
            os.chown(os.path.join(home, "patroni.yml"), POSTGRES_USER.pw_uid, POSTGRES_USER.pw_gid)
        os.chmod(os.path.join(home, "patroni.yml"), 0o600)
    say("patroni node1 (bootstraps the cluster)")
    start_patroni("node1")
    wait_for("node1 to bootstrap and lead", lambda: http_get(f"http://127.0.0.1:{NODES['node1']['rest']}/primary")[0] == 200, 120)
    say("patroni node2 (clones node1, becomes its synchronous standby)")
    start_patroni("node2")
    wait_for("node2 as synchronous standby", healthy_pair, 120)

    with open(os.path.join(DIR, "haproxy.cfg"), "w") as f:
        f.write(haproxy_config())
    run(["/usr/sbin/haproxy", "-c", "-q", "-f", os.path.join(DIR, "haproxy.cfg")])
    say(f"haproxy: PostgreSQL leader on :{PORTS['pg-rw']}, API on :{PORTS['api']}")
    spawn("haproxy", ["/usr/sbin/haproxy", "-db", "-f", os.path.join(DIR, "haproxy.cfg")])
    lead = leader()
    wait_for(f"HAProxy to route the leader port to {lead} only", lambda: haproxy_routes_to(lead), 30)
    wait_for("PostgreSQL through HAProxy", lambda: psql("SELECT 1", user="postgres", database="postgres", timeout=10), 30)

    say("database approvals, owner approvals, application role approvals_app")
    psql(f"CREATE ROLE approvals LOGIN PASSWORD '{SECRET['owner']}'", user="postgres", database="postgres")
    psql(f"CREATE ROLE approvals_app LOGIN PASSWORD '{SECRET['app']}'", user="postgres", database="postgres")
    psql("CREATE DATABASE approvals OWNER approvals", user="postgres", database="postgres")
    approvals("migrate")
    # README "Deploying": the replicas and sweepers run as a role that owns nothing.
    psql("GRANT USAGE ON SCHEMA public TO approvals_app;"
         "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO approvals_app;"
         "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO approvals_app;"
         "REVOKE UPDATE, DELETE, TRUNCATE ON events FROM approvals_app;")


# ---------------------------------------------------------------------------------------------------------------
# The client: threads that write through HAProxy's API port, each write with an Idempotency-Key, sent again with
# the same key after a 502/503/504, a broken connection or a timeout until it is acknowledged (2xx). Every
# acknowledged write is recorded with the effect it must have had.

PROJECT = {"workflow": "enterprise-investment", "region": "330302", "investorOrganisation": "91330302MA2DRILL0X",
           "attributes": {"approval-mode": "filing", "in-regional-assessment-zone": False, "land-supply": "transfer",
                          "annual-energy-tce": 1500, "land-area-sqm": 32000, "eia-category": "report-book",
                          "special-construction-project": True, "builds-civil-air-defence": False}}
# Each project's life in the drill: created, then these item actions, each one event `item.<action>`.
FLOW = [("project-filing", "submit", {}), ("energy-review", "submit", {}),
        ("soil-water-conservation", "exempt", {"source": "区域评估 (fault drill)"}), ("energy-review", "withdraw", {})]
RETRYABLE = {502, 503, 504}
CLIENT_STOP = threading.Event()
CLIENT = []


class Client:
    def __init__(self, token, threads=4, pace=0.05, give_up=180):
        self.token, self.threads, self.pace, self.give_up = token, threads, pace, give_up
        self.run_id = secrets.token_hex(3)
        self.lock = threading.Lock()
        self.acks = []           # every acknowledged write
        self.attempts = []       # (time, outcome) of every attempt that was not acknowledged
        self.anomalies = []      # answers that are neither an acknowledgement nor a retryable outage
        self.paused = threading.Event()
        self.idle = [threading.Event() for _ in range(threads)]
        self.workers = []
        self.counter = 0

    def start(self):
        for n in range(self.threads):
            worker = threading.Thread(target=self.work, args=(n,), daemon=True, name=f"client-{n}")
            worker.start()
            self.workers.append(worker)

    def pause(self, timeout=200):
        """Lets each write in flight finish (acknowledged or given up), then holds every thread."""
        self.paused.set()
        for event in self.idle:
            if not event.wait(timeout):
                fail("the client did not settle its writes in flight")

    def resume(self):
        for event in self.idle:
            event.clear()
        self.paused.clear()

    def next_key(self, what):
        with self.lock:
            self.counter += 1
            return f"drill-{self.run_id}-{self.counter:06d}-{what}"

    def work(self, n):
        connection = None
        while not CLIENT_STOP.is_set():
            if self.paused.is_set():
                self.idle[n].set()
                time.sleep(0.05)
                continue
            key = self.next_key("create")
            name = f"drill {key}"
            body = dict(PROJECT, name=name)
            connection, ack = self.write(connection, "/v1/projects", body, key, {"kind": "create", "name": name})
            if not ack:
                continue
            code = ack["code"]
            for item, action, extra in FLOW:
                if CLIENT_STOP.is_set():
                    return
                key = self.next_key(action)
                connection, _ = self.write(connection, f"/v1/projects/{code}/items/{item}/actions", dict(action=action, **extra), key,
                                           {"kind": action, "code": code, "item": item})
                time.sleep(self.pace)
            time.sleep(self.pace)

    def write(self, connection, path, body, key, effect):
        """One write until acknowledged: (connection, the acknowledgement or None)."""
        payload = json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json", "Idempotency-Key": key}
        first = time.time()
        tries = 0
        while not CLIENT_STOP.is_set():
            tries += 1
            sent = time.time()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", PORTS["api"], timeout=15)
                connection.request("POST", path, payload, headers)
                response = connection.getresponse()
                data = response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as error:
                if connection is not None:
                    connection.close()
                connection = None
                status, data = None, f"{type(error).__name__}: {error}".encode()
                timed_out = isinstance(error, TimeoutError)
            else:
                timed_out = False
            now = time.time()
            if status is not None and 200 <= status < 300:
                ack = dict(effect, key=key, sent=sent, acked=now, first=first, tries=tries, status=status)
                if effect["kind"] == "create":
                    ack["code"] = json.loads(data)["code"]
                with self.lock:
                    self.acks.append(ack)
                return connection, ack
            outcome = ("timeout (15 s)" if timed_out else "connection") if status is None else str(status)
            with self.lock:
                self.attempts.append((now, outcome))
            if status is not None and status not in RETRYABLE:
                # Not an outage: a 500, or a refusal. A 409 to a retried action would mean the first attempt went
                # through but its key's answer was not kept. Neither is acknowledged; both are reported.
                with self.lock:
                    self.anomalies.append({"at": now, "key": key, "path": path, "status": status, "tries": tries,
                                           "body": data[:400].decode(errors="replace")})
                if status < 500:
                    return connection, None
            if now - first > self.give_up:
                with self.lock:
                    self.anomalies.append({"at": now, "key": key, "path": path, "status": "gave up", "tries": tries,
                                           "body": data[:400].decode(errors="replace")})
                return connection, None
            time.sleep(0.5)
        return connection, None

    def first_ack_after(self, moment):
        """The first write acknowledged whose acknowledged attempt was sent after `moment`."""
        with self.lock:
            after = [a["acked"] for a in self.acks if a["sent"] >= moment]
        return min(after) if after else None

    def snapshot(self):
        with self.lock:
            return list(self.acks), list(self.attempts), list(self.anomalies)


# ---------------------------------------------------------------------------------------------------------------
# Checks, through HAProxy to the leader, as the database's owner.

def setup_checks():
    psql("CREATE SCHEMA drill;"
         "CREATE TABLE drill.acked (key text PRIMARY KEY, kind text NOT NULL, code text NOT NULL, item text, name text);"
         "CREATE TABLE drill.due (phase text, project_id bigint, item_id text, PRIMARY KEY (phase, project_id, item_id));")


def copy_in(table, rows):
    text = "".join("\t".join("\\N" if v is None else str(v).replace("\\", "\\\\").replace("\t", " ") for v in row) + "\n" for row in rows)
    run([f"{PGBIN}/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(PORTS["pg-rw"]), "-U", "approvals",
         "-d", "approvals", "-c", f"COPY {table} FROM STDIN"], input=text, timeout=120,
        env={"PGPASSWORD": SECRET["owner"], "PGCONNECT_TIMEOUT": "5"})


# Effects of the deadline engine (actor 0) that may happen once only: per item, or per project and level.
ENGINE_ONCE = """
    SELECT project_id, kind, coalesce(item_id, ''), CASE kind WHEN 'warning.project' THEN payload->>'level'
                                                              WHEN 'agent.follow_up_overdue' THEN payload->>'progress' ELSE '' END AS what,
           count(*)
    FROM events WHERE actor_id = 0 GROUP BY 1, 2, 3, 4 HAVING count(*) > 1"""


def check(client, phase):
    """Every acknowledged write present exactly once; no duplicate effect, of the client's writes or the sweepers';
    every audit chain verifies. Returns a dict of the findings."""
    acks, _, _ = client.snapshot()
    psql("TRUNCATE drill.acked")
    copy_in("drill.acked", [(a["key"], a["kind"], a["code"], a.get("item"), a.get("name")) for a in acks])
    # Each acknowledged creation: exactly one project of its name, with the code it was answered with.
    creations = psql("""
        SELECT a.key, count(p.id), bool_and(p.code = a.code) FROM drill.acked a LEFT JOIN projects p ON p.name = a.name
        WHERE a.kind = 'create' GROUP BY a.key HAVING count(p.id) <> 1 OR NOT coalesce(bool_and(p.code = a.code), false)""")
    # Each acknowledged item action: exactly one event item.<action> on that item of that project.
    actions = psql("""
        SELECT a.key, count(e.seq) FROM drill.acked a LEFT JOIN projects p ON p.code = a.code
        LEFT JOIN events e ON e.project_id = p.id AND e.item_id = a.item AND e.kind = 'item.' || a.kind
        WHERE a.kind <> 'create' GROUP BY a.key HAVING count(e.seq) <> 1""")
    lost = [r for r in creations + actions if r[1] == "0"]
    wrong = [r for r in creations + actions if r[1] != "0"]
    # Duplicates whether acknowledged or not: two projects of one drill name, an item action done twice.
    dup_projects = psql("SELECT name, count(*) FROM projects WHERE name LIKE 'drill drill-%' GROUP BY name HAVING count(*) > 1")
    dup_actions = psql("""
        SELECT p.code, e.item_id, e.kind, count(*) FROM events e JOIN projects p ON p.id = e.project_id
        WHERE p.name LIKE 'drill drill-%' AND e.kind LIKE 'item.%' GROUP BY 1, 2, 3 HAVING count(*) > 1""")
    dup_engine = psql(ENGINE_ONCE)
    started = time.monotonic()
    verify = approvals("audit", "verify", timeout=600, check=False)
    verify_seconds = time.monotonic() - started
    verified = verify.returncode == 0
    summary = (verify.stdout.strip().splitlines() or [""])[-1]
    result = {"acked": len(acks), "lost": len(lost), "wrong": len(wrong), "duplicates": len(dup_projects) + len(dup_actions) + len(dup_engine),
              "dup_client": len(dup_projects) + len(dup_actions), "dup_engine": len(dup_engine), "verified": verified,
              "verify": summary, "verify_seconds": round(verify_seconds, 1)}
    for label, rows in (("lost", lost), ("count not 1", wrong), ("duplicate project", dup_projects), ("duplicate item action", dup_actions),
                        ("duplicate engine effect", dup_engine)):
        for row in rows[:10]:
            say(f"  {phase}: {label}: {' '.join(row)}")
    if not verified:
        say(f"  {phase}: audit verify exited {verify.returncode}: {verify.stdout.strip()[-1500:]} {verify.stderr.strip()[-500:]}")
    say(f"check after {phase}: {len(acks)} acknowledged writes, {len(lost)} lost, {len(wrong)} with another count, "
        f"{result['duplicates']} duplicate effects, audit: {summary} ({verify_seconds:.0f} s)")
    return result


def engine_effects():
    return int(psql("SELECT count(*) FROM events WHERE actor_id = 0 AND kind IN ('item.default_approve', 'item.escalate')", timeout=10)[0][0])


def due_projects():
    return int(psql("SELECT count(*) FROM projects WHERE next_due_at <= now()", timeout=10)[0][0])


def snapshot_due(phase):
    """The items whose deadline passed while their clock ran, not yet default-approved or escalated."""
    psql(f"""INSERT INTO drill.due SELECT '{phase}', project_id, item_id FROM items
             WHERE state = 'accepted' AND escalated_on IS NULL AND deadline < (now() AT TIME ZONE 'Asia/Shanghai')::date""")
    return int(psql(f"SELECT count(*) FROM drill.due WHERE phase = '{phase}'")[0][0])


def check_due(phase):
    """Each item that was due: exactly one default approval or escalation by the engine, and none left due."""
    wrong = psql(f"""
        SELECT d.project_id, d.item_id, count(e.seq) FROM drill.due d LEFT JOIN events e ON e.project_id = d.project_id
          AND e.item_id = d.item_id AND e.actor_id = 0 AND e.kind IN ('item.default_approve', 'item.escalate')
        WHERE d.phase = '{phase}' GROUP BY 1, 2 HAVING count(e.seq) <> 1""")
    left = int(psql("""SELECT count(*) FROM items WHERE state = 'accepted' AND escalated_on IS NULL
                       AND deadline < (now() AT TIME ZONE 'Asia/Shanghai')::date""")[0][0])
    for row in wrong[:10]:
        say(f"  {phase}: due item handled {row[2]} times: project {row[0]} item {row[1]}")
    return {"due_wrong": len(wrong), "due_left": left}


# ---------------------------------------------------------------------------------------------------------------
# The faults. Each injects one fault, waits for the first acknowledged write after it, puts the topology back
# (the killed process started again, the cluster a leader with a streaming synchronous standby) and returns what
# it measured.

def pg_log_count(node, text):
    try:
        with open(os.path.join(DIR, node, "data", "log", "postgresql.log"), errors="replace") as f:
            return f.read().count(text)
    except OSError:
        return 0


def wait_first_ack(client, at, what, timeout):
    first = wait_for(f"the first acknowledged write after {what}", lambda: client.first_ack_after(at), timeout, interval=0.05)
    return first - at


def restore_pair(timeout=120):
    pair = wait_for("a leader with a streaming synchronous standby", healthy_pair, timeout)
    wait_for(f"HAProxy to route the leader port to {pair[0]} only", lambda: haproxy_routes_to(pair[0]), 30)
    return pair


def seed_backlog(projects, seed):
    say(f"seeding a backlog of {projects} projects whose deadlines passed (approvals seed --backlog)")
    started = time.monotonic()
    approvals("seed", "--projects", str(projects), "--backlog", str(projects), "--seed", str(seed), url=SUPER_URL, timeout=600)
    say(f"  seeded in {time.monotonic() - started:.0f} s")


# A sweeper whose sweep finishes no batch for this long exits (75) for its supervisor to start it again; the drill
# is that supervisor, as systemd's Restart=always (RestartSec=2) is in deploy/.
STALL_LIMIT = 30
DRAIN_TIMEOUT = 90 + STALL_LIMIT
RESTARTED = []


def supervise_sweepers():
    """Starts again, 2 s later, a sweeper that exited by itself (as systemd does), and notes it."""
    for name in SWEEPERS:
        proc = PROCS.get(name)
        if proc is not None and proc.poll() is not None:
            code = proc.returncode
            say(f"  {name} exited by itself ({code}{': its sweep stalled' if code == 75 else ''}); starting it again, as its supervisor would")
            RESTARTED.append((name, code))
            time.sleep(2)
            start_sweeper(name)


def drain(phase, started):
    """Waits for the sweepers to handle every due project: (seconds from their start, what went wrong or None). When
    they stop making progress, says so, stops them (SIGTERM, then SIGKILL) and starts them again, so the check of
    the effects still runs."""
    done = lambda: due_projects() == 0 and check_due(phase)["due_left"] == 0
    try:
        wait_for("the backlog to drain", lambda: supervise_sweepers() or done(), DRAIN_TIMEOUT, interval=1)
        return time.time() - started, None
    except DrillFailure:
        pass
    left = due_projects()
    say(f"  NOT DRAINED: {left} due projects left {time.time() - started:.0f} s after the sweepers started; restarting the sweepers")
    diagnose(f"diagnosis-{phase}.txt")
    by_term = [name for name in SWEEPERS if stop(name, timeout=15)]
    for name in SWEEPERS:
        start_sweeper(name)
    restarted = time.time()
    wait_for("the backlog to drain after the sweepers' restart", done, DRAIN_TIMEOUT, interval=1)
    problem = (f"the sweepers stopped sweeping: {left} due projects still due {DRAIN_TIMEOUT} s later, no error logged; "
               f"{'both stopped on SIGTERM' if len(by_term) == len(SWEEPERS) else 'SIGTERM did not stop ' + ', '.join(n for n in SWEEPERS if n not in by_term) + ' (SIGKILL)'}; "
               f"started again, they drained it in {time.time() - restarted:.0f} s")
    return time.time() - started, problem


def sweep_a_backlog(phase, seed):
    """Seeds a backlog of due deadlines, starts both sweepers on it and waits until a tenth of it is handled:
    (due items, engine effects before, when the sweepers started)."""
    seed_backlog(BACKLOG, seed)
    due = snapshot_due(phase)
    base = engine_effects()
    say(f"  {due} due items; starting both sweepers")
    started = time.time()
    for name in SWEEPERS:
        start_sweeper(name)
    wait_for("the sweepers to start on the backlog", sweep_started(base, max(20, due // 10)), 120, interval=0.1)
    return due, base, started


def sweep_started(base, need):
    return lambda: engine_effects() >= base + need


def fault_replica(client):
    victim = "serve1"
    at = time.time()
    os.kill(PROCS[victim].pid, signal.SIGKILL)
    PROCS[victim].wait()
    say(f"  SIGKILL {victim} (pid {PROCS[victim].pid})")
    recovery = wait_first_ack(client, at, "the replica's kill", 60)
    time.sleep(3)
    start_replica(victim)
    wait_for(f"{victim} ready", lambda: replica_ready(victim), 60)
    wait_for(f"HAProxy to send to {victim} again", lambda: haproxy_servers()[("approvals_replicas", victim)] == "UP", 30)
    return {"at": at, "recovery": recovery, "notes": f"{victim} restarted; the other replica answered meanwhile"}


def fault_sweeper(client):
    due, base, started = sweep_a_backlog("sweeper-kill", seed=2)
    lead = leader()
    eof_before = pg_log_count(lead, "unexpected EOF on client connection with an open transaction")
    done_before = engine_effects() - base
    at = time.time()
    os.kill(PROCS["sweeper1"].pid, signal.SIGKILL)
    PROCS["sweeper1"].wait()
    say(f"  SIGKILL sweeper1 after {done_before} of {due} due items were handled")
    recovery = wait_first_ack(client, at, "the sweeper's kill", 60)
    mark = engine_effects()
    resumed = wait_for("the sweep to go on", lambda: engine_effects() > mark and time.time(), 60, interval=0.1) - at
    time.sleep(1)
    start_sweeper("sweeper1")
    drained, problem = drain("sweeper-kill", started)
    time.sleep(1)
    open_tx = pg_log_count(lead, "unexpected EOF on client connection with an open transaction") - eof_before
    due_check = check_due("sweeper-kill")
    return {"at": at, "recovery": recovery, "due": due, **due_check, "problem": problem,
            "notes": f"{due} due items; killed after {done_before}, in {open_tx} open transaction(s) (PostgreSQL: unexpected EOF "
                     f"with an open transaction); the sweep went on after {resumed:.1f} s; drained {drained:.0f} s after the sweepers started",
            "mid_batch": open_tx > 0}


def fault_restart(client):
    lead, standby = restore_pair()
    at = time.time()
    run(["/usr/bin/patronictl", "-c", os.path.join(DIR, lead, "patroni.yml"), "restart", SCOPE, lead, "--force"], timeout=120)
    say(f"  patronictl restart {lead} (fast shutdown, start in place) returned after {time.time() - at:.1f} s")
    recovery = wait_first_ack(client, at, "the restart", 120)
    pair = restore_pair()
    return {"at": at, "recovery": recovery, "notes": f"{lead} stayed the leader" if pair[0] == lead else f"leader moved to {pair[0]}!"}


def fault_postmaster(client):
    lead, standby = restore_pair()
    pid = postmaster_pid(lead)
    at = time.time()
    os.kill(pid, signal.SIGKILL)
    say(f"  SIGKILL the postmaster of {lead} (pid {pid}); its Patroni keeps the leader key")
    recovery = wait_first_ack(client, at, "the postmaster's kill", 120)
    pair = restore_pair()
    return {"at": at, "recovery": recovery,
            "notes": f"Patroni restarted PostgreSQL in place ({lead} stayed the leader)" if pair[0] == lead else f"leader moved to {pair[0]}"}


def kill_leader_node(lead):
    patroni = PROCS[f"patroni-{lead}"]
    pid = postmaster_pid(lead)
    at = time.time()
    os.kill(patroni.pid, signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)
    patroni.wait()
    say(f"  SIGKILL {lead}: Patroni (pid {patroni.pid}) and its postmaster (pid {pid})")
    return at


def promoted(node):
    return lambda: http_get(f"http://127.0.0.1:{NODES[node]['rest']}/primary", timeout=2)[0] == 200 and time.time()


def rejoin(node):
    start_patroni(node)
    pair = restore_pair(180)
    if pair[1] != node:
        fail(f"{node} did not rejoin as the synchronous standby: {pair}")
    rewound = "pg_rewind" if pg_rewind_ran(node) else "no rewind needed"
    return rewound


def pg_rewind_ran(node):
    try:
        with open(os.path.join(LOG, f"patroni-{node}.log"), errors="replace") as f:
            return "pg_rewind" in f.read().split("==== ")[-1]
    except OSError:
        return False


def fault_leader(client):
    lead, standby = restore_pair()
    at = kill_leader_node(lead)
    recovery = wait_first_ack(client, at, "the leader's kill", TTL + LOOP_WAIT + 60)
    took = wait_for(f"{standby} to be promoted", promoted(standby), 60) - at
    rewound = rejoin(lead)
    return {"at": at, "recovery": recovery,
            "notes": f"{standby} promoted {took:.1f} s after the kill; {lead} rejoined as synchronous standby ({rewound})"}


def fault_switchover(client):
    lead, standby = restore_pair()
    at = time.time()
    run(["/usr/bin/patronictl", "-c", os.path.join(DIR, lead, "patroni.yml"), "switchover", SCOPE, "--leader", lead,
         "--candidate", standby, "--force"], timeout=120)
    say(f"  patronictl switchover {lead} → {standby} returned after {time.time() - at:.1f} s")
    recovery = wait_first_ack(client, at, "the switchover", 120)
    pair = restore_pair()
    if pair != (standby, lead):
        fail(f"after the switchover the pair is {pair}, not {(standby, lead)}")
    return {"at": at, "recovery": recovery, "notes": f"{standby} leads, {lead} its synchronous standby"}


def fault_sweep_failover(client):
    for name in SWEEPERS:
        stop(name)
    say("  sweepers stopped (SIGTERM)")
    due, base, started = sweep_a_backlog("sweep-failover", seed=3)
    lead, standby = restore_pair()
    done_before = engine_effects() - base
    at = kill_leader_node(lead)
    say(f"  … after {done_before} of {due} due items were handled")
    recovery = wait_first_ack(client, at, "the leader's kill", TTL + LOOP_WAIT + 60)
    took = wait_for(f"{standby} to be promoted", promoted(standby), 60) - at
    restarts_before = len(RESTARTED)
    drained, problem = drain("sweep-failover", started)
    rewound = rejoin(lead)
    due_check = check_due("sweep-failover")
    restarted = RESTARTED[restarts_before:]
    stalls = (f"; {', '.join(name for name, _ in restarted)} stopped itself (a sweep stalled on a dropped connection, exit 75) "
              f"and was started again, as systemd would") if restarted else ""
    return {"at": at, "recovery": recovery, "due": due, **due_check, "problem": problem,
            "notes": f"{due} due items; leader killed after {done_before}; {standby} promoted {took:.1f} s after the kill; "
                     f"drained {drained:.0f} s after the sweepers started; {lead} rejoined ({rewound}){stalls}"}


def fault_none(client):
    at = time.time()
    recovery = wait_first_ack(client, at, "the start", 30)
    time.sleep(5)
    return {"at": at, "recovery": recovery, "notes": "no fault: the client's writes through the whole topology"}


BOUND_RESTART = LOOP_WAIT + 10
FAULTS = [
    ("baseline", "none (baseline)", None, fault_none),
    ("replica-kill", "SIGKILL of a serve replica", 5, fault_replica),
    ("sweeper-kill", "SIGKILL of a sweeper mid-batch", 5, fault_sweeper),
    ("fast-restart", "fast restart of the primary (`patronictl restart`)", BOUND_RESTART, fault_restart),
    ("postmaster-kill", "SIGKILL of the primary's postmaster (restarted in place)", BOUND_RESTART, fault_postmaster),
    ("leader-kill", "SIGKILL of the leader node (Patroni and PostgreSQL)", TTL + LOOP_WAIT, fault_leader),
    ("switchover", "`patronictl switchover`", BOUND_RESTART, fault_switchover),
    ("sweep-failover", "a sweep of a backlog across the leader node's SIGKILL", TTL + LOOP_WAIT, fault_sweep_failover),
]


# ---------------------------------------------------------------------------------------------------------------
# The run.

def server_log_summary():
    """5xx answers and error lines in the replicas' and sweepers' logs."""
    statuses, errors = {}, []
    for name in list(REPLICAS) + SWEEPERS:
        try:
            with open(os.path.join(LOG, f"{name}.log"), errors="replace") as f:
                for line in f:
                    m = re.search(r"\[ApprovalServer\] \w+: (5\d\d) the ", line)
                    if m:
                        statuses[m.group(1)] = statuses.get(m.group(1), 0) + 1
                    if re.search(r" (error|critical) ", line):
                        errors.append(f"{name}: {line.strip()[:300]}")
        except OSError:
            pass
    return statuses, errors


def server_error_cause(anomaly):
    """What a replica logged for a 5xx it answered: `internal error: …` of its request id, shortened."""
    try:
        request = json.loads(anomaly["body"]).get("requestId", "")
    except ValueError:
        return anomaly["body"][:120]
    for name in REPLICAS:
        try:
            with open(os.path.join(LOG, f"{name}.log"), errors="replace") as f:
                for line in f:
                    if request in line and "internal error:" in line:
                        cause = line.split("internal error:", 1)[1].strip()
                        return f"{name} logged `{cause[:90]}…`, request {request}"
        except OSError:
            pass
    return f"request {request}"


def environment():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))) / 1048576
    def version(argv, pattern):
        out = run(argv, check=False).stdout + run(argv, check=False).stderr
        m = re.search(pattern, out)
        return m.group(1) if m else "?"
    commit = run(["git", "rev-parse", "--short", "HEAD"], check=False).stdout.strip()
    dirty = " with uncommitted changes" if run(["git", "status", "--porcelain", "--", "Sources", "Migrations", "Workflows"], check=False).stdout.strip() else ""
    digest = run(["sha256sum", BIN], check=False).stdout[:12]
    return {
        "date": datetime.date.today().isoformat(), "machine": f"{os.cpu_count()} cores, {mem:.0f} GiB, {cpu}",
        "os": platform.platform(terse=True), "postgres": version([f"{PGBIN}/postgres", "--version"], r"PostgreSQL\) (\S+)"),
        "patroni": version(["/usr/bin/patroni", "--version"], r"patroni (\S+)"),
        "etcd": version(["/usr/bin/etcd", "--version"], r"etcd Version: (\S+)"),
        "haproxy": version(["/usr/sbin/haproxy", "-v"], r"HAProxy version (\S+)"),
        "binary": os.path.relpath(BIN, ROOT) if BIN.startswith(ROOT) else BIN, "commit": f"{commit}{dirty}", "digest": digest,
    }


def command():
    """The command line of this run: scripts/drill with the settings that were given."""
    settings = [f"{k}={os.environ[k]}" for k in ("APPROVALS_BIN", "APPROVALS_MIGRATIONS", "APPROVALS_WORKFLOWS", "DRILL_DIR",
                                                  "DRILL_PORT_BASE", "DRILL_PROJECTS", "DRILL_BACKLOG", "DRILL_FAULTS") if os.environ.get(k)]
    return " ".join(settings + ["scripts/drill"])


def render(rows, env, totals, elapsed, statuses, errors, ok):
    lines = [f"Run of {env['date']} on {env['machine']}; {env['os']}; PostgreSQL {env['postgres']}, Patroni {env['patroni']}, "
             f"etcd {env['etcd']}, HAProxy {env['haproxy']}; the binary `{env['binary']}` (sha256 {env['digest']}…; the checkout was at {env['commit']}). "
             f"Patroni ttl {TTL} s, loop_wait {LOOP_WAIT} s, retry_timeout {RETRY_TIMEOUT} s. The whole drill took {elapsed / 60:.1f} minutes. "
             f"Command: `{command()}` (logs in `{DIR}/log/`).", "",
             f"Result: **{'every fault survived' if ok else 'FAILED'}** — {totals['acked']} acknowledged writes in all, "
             f"{totals['lost']} lost, {totals['duplicates']} duplicate effects, audit chains {'verified' if totals['verified'] else 'BROKEN'} "
             f"({totals['verify']}).", "",
             "| fault | writes acknowledged (during / total) | lost | duplicate effects | chains verified | first write after the fault (s) | bound (s) | attempts retried | notes |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        retried = ", ".join(f"{n} × {k}" for k, n in sorted(r["retried"].items())) or "none"
        bound = "" if r["bound"] is None else f"{r['bound']}"
        lines.append(f"| {r['title']} | {r['acked_during']} / {r['acked']} | {r['lost'] + r['wrong']} | {r['duplicates']}"
                     f"{' (due items: ' + str(r['due_wrong']) + ' not handled once)' if r.get('due_wrong') else ''} | "
                     f"{'yes' if r['verified'] else '**no**'} | {r['recovery']:.1f} | {bound} | {retried} | {r['notes']} |")
    lines += ["", f"Server answers 5xx in the replicas' logs: {', '.join(f'{n} × {k}' for k, n in sorted(statuses.items())) or 'none'}; "
              f"error lines in the replicas' and sweepers' logs: {len(errors)}. At the end, every replica and sweeper was sent SIGTERM: "
              + (f"**{', '.join(totals['unstoppable'])} did not stop within 15 s** (SIGKILL)." if totals["unstoppable"] else "each stopped within 15 s.")]
    return "\n".join(lines)


def write_reliability(block):
    path = os.path.join(ROOT, "RELIABILITY.md")
    begin, end = "<!-- drill:begin -->", "<!-- drill:end -->"
    text = open(path).read() if os.path.exists(path) else f"# Reliability\n\n{begin}\n{end}\n"
    if begin not in text or end not in text:
        text += f"\n{begin}\n{end}\n"
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(path, "w") as f:
        f.write(f"{head}{begin}\n{block}\n{end}{tail}")
    say(f"wrote {path}")


def drill():
    build_topology()
    say(f"seeding a province of {BASE_PROJECTS} projects (approvals seed, as the superuser: it loads with replication off)")
    approvals("seed", "--projects", str(BASE_PROJECTS), "--seed", "1", url=SUPER_URL, timeout=600)
    out = approvals("users", "add", "--name", "演练管理员 (drill)", "--role", "admin", "--region", "330000").stdout
    token = re.search(r"token \(shown once\): (\S+)", out).group(1)
    setup_checks()
    for name in REPLICAS:
        start_replica(name)
    for name in REPLICAS:
        wait_for(f"{name} ready", lambda: replica_ready(name), 60)
        wait_for(f"HAProxy to send to {name}", lambda: haproxy_servers()[("approvals_replicas", name)] == "UP", 30)
    if os.environ.get("DRILL_HOLD") == "1":
        hold(token)
    client = Client(token)
    CLIENT.append(client)
    client.start()
    say(f"client: {client.threads} threads writing through {API} (run {client.run_id})")
    rows = []
    started = time.monotonic()
    only = set(filter(None, os.environ.get("DRILL_FAULTS", "").split(",")))
    for name, title, bound, inject in FAULTS:
        if only and name not in only and name != "baseline":
            continue
        say(f"— {name}: {title}")
        acked_before = len(client.acks)
        attempts_before = len(client.attempts)
        anomalies_before = len(client.anomalies)
        try:
            info = inject(client)
        except DrillFailure as error:
            say(f"  FAILED: {error}")
            diagnose(f"diagnosis-{name}.txt")
            client.pause()
            acks, attempts, anomalies = client.snapshot()
            rows.append({"name": name, "title": title, "bound": bound, "acked_during": len(acks) - acked_before, "acked": len(acks),
                         "lost": 0, "wrong": 0, "duplicates": 0, "verified": False, "recovery": float("nan"), "retried": {},
                         "notes": f"**the drill stopped here: {error}** (log/diagnosis-{name}.txt)", "ok": False, "anomalies": []})
            client.resume()
            break
        time.sleep(3)
        client.pause()
        result = check(client, name)
        acks, attempts, anomalies = client.snapshot()
        client.resume()
        retried = {}
        for _, outcome in attempts[attempts_before:]:
            retried[outcome] = retried.get(outcome, 0) + 1
        for anomaly in anomalies[anomalies_before:]:
            say(f"  anomaly: {anomaly}")
        row = dict(result, **info, name=name, title=title, bound=bound, acked_during=len(acks) - acked_before,
                   retried=retried, anomalies=anomalies[anomalies_before:])
        refused = [a for a in row["anomalies"] if a["status"] == "gave up" or (isinstance(a["status"], int) and a["status"] < 500)]
        server_errors = [a for a in row["anomalies"] if isinstance(a["status"], int) and a["status"] >= 500]
        if server_errors:
            row["notes"] += f"; {len(server_errors)} answer(s) {server_errors[0]['status']} ({server_error_cause(server_errors[0])}), sent again with the same key"
        if refused:
            row["notes"] += f"; {len(refused)} write(s) refused or given up: {refused[0]['status']} {refused[0]['body'][:160]}"
        if row.get("problem"):
            row["notes"] += f"; **{row['problem']}**"
        if row.get("mid_batch") is False:
            row["notes"] += "; **the kill did not land mid-batch**"
        row["ok"] = (result["lost"] == 0 and result["wrong"] == 0 and result["duplicates"] == 0 and result["verified"]
                     and not row.get("due_wrong") and not row.get("due_left") and not refused and not row.get("problem")
                     and (bound is None or info["recovery"] <= bound) and row.get("mid_batch", True))
        say(f"  first write {info['recovery']:.2f} s after the fault (bound {bound}); retried: {retried}; {row['notes']}"
            + ("" if row["ok"] else "  ← NOT SURVIVED"))
        rows.append(row)
    client.pause()
    CLIENT_STOP.set()
    final = check(client, "the end")
    # Each replica and sweeper is asked to stop (SIGTERM), as systemd would; one that is still running 15 s later
    # is reported and killed.
    final["unstoppable"] = [name for name in list(REPLICAS) + SWEEPERS if not stop(name, timeout=15)]
    statuses, errors = server_log_summary()
    for line in errors[:20]:
        say(f"  log: {line}")
    ok = (all(r["ok"] for r in rows) and final["lost"] == 0 and final["wrong"] == 0 and final["duplicates"] == 0
          and final["verified"] and not final["unstoppable"])
    block = render(rows, environment(), final, time.monotonic() - T0, statuses, errors, ok)
    print(block, flush=True)
    with open(os.path.join(DIR, "result.json"), "w") as f:
        json.dump({"rows": rows, "final": final, "statuses": statuses, "errors": errors, "ok": ok}, f, indent=1, default=str)
    if os.environ.get("DRILL_WRITE", "1") != "0":
        write_reliability(block)
    say("every fault survived" if ok else "FAILED: see the table above")
    return 0 if ok else 1


def hold(token):
    say("holding; the topology:")
    print(f"  export DATABASE_URL='{OWNER_URL}'\n  API {API} (admin token {token})\n  patroni: "
          f"{' '.join(os.path.join(DIR, n, 'patroni.yml') for n in NODES)}\n  pids: "
          + ", ".join(f"{n}={p.pid}" for n, p in PROCS.items()), flush=True)
    with open(os.path.join(DIR, "hold.json"), "w") as f:
        json.dump({"owner_url": OWNER_URL, "app_url": APP_URL, "super_url": SUPER_URL, "api": API, "secrets": SECRET,
                   "pids": {n: p.pid for n, p in PROCS.items()}, "admin_token": token}, f, indent=1)
    while True:
        time.sleep(1)


def diagnose(filename="diagnosis.txt"):
    """What the topology looks like when a wait failed: written to log/<filename>."""
    out = []
    def section(title, produce):
        try:
            out.append(f"==== {title}\n{produce()}")
        except Exception as error:  # noqa: BLE001
            out.append(f"==== {title}\n(failed: {error})")
    section("patronictl list", lambda: run(["/usr/bin/patronictl", "-c", os.path.join(DIR, "node1", "patroni.yml"), "list"], check=False, timeout=20).stdout)
    section("haproxy servers", lambda: "\n".join(f"{k}: {v}" for k, v in haproxy_servers().items()))
    section("pg_stat_activity on the leader", lambda: "\n".join("\t".join(r) for r in psql(
        "SELECT pid, usename, client_port, state, wait_event_type, wait_event, xact_start, query_start, left(query, 160) "
        "FROM pg_stat_activity WHERE datname = 'approvals' ORDER BY pid", user="postgres", timeout=10)))
    section("sockets", lambda: run(["ss", "-tanp"], check=False).stdout)
    for name, proc in PROCS.items():
        if proc.poll() is None and (name.startswith("serve") or name.startswith("sweeper")):
            section(f"{name} pid {proc.pid} threads", lambda: run(["sh", "-c", f"for t in /proc/{proc.pid}/task/*; do echo $t $(cat $t/comm) $(cat $t/wchan); done"], check=False).stdout)
    client = CLIENT[0] if CLIENT else None
    if client:
        acks, attempts, anomalies = client.snapshot()
        section("client", lambda: f"{len(acks)} acknowledged; last at {max((a['acked'] for a in acks), default=0):.1f}; now {time.time():.1f}\n"
                + "\n".join(json.dumps(a) for a in anomalies[-30:]) + "\nattempts not acknowledged (last 40):\n"
                + "\n".join(f"{t:.1f} {o}" for t, o in attempts[-40:]))
    path = os.path.join(LOG, filename)
    with open(path, "w") as f:
        f.write("\n".join(out))
    say(f"diagnosis in {path}")


def main():
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    if os.path.exists(DIR):
        shutil.rmtree(DIR)
    os.makedirs(LOG)
    os.chmod(DIR, 0o755)
    shutil.copytree(SOURCE_WORKFLOWS, WORKFLOWS)
    shutil.copytree(SOURCE_MIGRATIONS, MIGRATIONS)
    try:
        return drill()
    except DrillFailure as error:
        say(f"FAILED: {error}")
        diagnose()
        if os.environ.get("DRILL_HOLD_ON_FAILURE") == "1":
            say("holding after the failure (DRILL_HOLD_ON_FAILURE=1); pids: " + ", ".join(f"{n}={p.pid}" for n, p in PROCS.items() if p.poll() is None))
            while True:
                time.sleep(1)
        return 1
    finally:
        CLIENT_STOP.set()
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
