"""Turns one scripts/bench run into the table of BENCHMARKS.md: absolute figures, ratios to PostgreSQL's own
figures on the same machine, and each budget met or missed. Written between the bench markers; the rest of the
file (findings, profiles) is left as it is."""
import os
import re

r = dict(line.split("=", 1) for line in os.environ["BENCH_RESULTS"].splitlines() if "=" in line)
env = os.environ


def ms(text):
    """wrk prints latencies as 812.00us, 12.34ms or 1.20s."""
    m = re.match(r"([0-9.]+)(us|ms|s)", text or "")
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]


def verdict(ok):
    return "met" if ok else "**missed**"


tpcb, select = float(r["tpcb"]), float(r["select"])
actions, status, repeated = float(r["actions_rps"]), float(r["status_rps"]), float(r["status_repeated_rps"])
actions_p99, status_p99, repeated_p99 = ms(r["actions_p99"]), ms(r["status_p99"]), ms(r["status_repeated_p99"])
small_rate = int(r["sweep_small_defaults"]) / float(r["sweep_small_seconds"])
large_rate = int(r["sweep_large_defaults"]) / float(r["sweep_large_seconds"])
small_cost, large_cost = 1e6 / small_rate, 1e6 / large_rate
drift = (large_cost - small_cost) / small_cost
floor_seconds = float(r["floor_seconds"])
floor_rate = int(r["floor_defaults"]) / floor_seconds
seed_seconds = float(r.get("seed_seconds") or "nan")
reports = {k[len("report_"):]: float(v) for k, v in r.items() if k.startswith("report_")}
rss = int(r["rss"])

ticks = float(r["ticks"])


def cpu_ms(load, side):
    """CPU milliseconds per request of a load, on the server's side or PostgreSQL's."""
    # A backend that exits during the load takes its ticks with it; never below zero.
    return max(0.0, float(r[f"{load}_{side}_ticks"]) / ticks / max(int(r[f"{load}_requests"]), 1) * 1000)


def cpu(load):
    """Where a load's time went, and how many round trips to PostgreSQL a request took."""
    trips = int(r.get(f"{load}_statements") or 0) / max(int(r[f"{load}_requests"]), 1)
    return (f"CPU per request: server {cpu_ms(load, 'server'):.2f} ms, PostgreSQL {cpu_ms(load, 'postgres'):.2f} ms; "
            f"{trips:.2f} round trips per request")


# An item action's ceiling from measured costs. The engine decides in Swift, so an action reads the project before
# it can write: two round trips at the very least (the token cached in memory, the write one conditional statement),
# each costing what /v1/me costs beyond /healthz; plus /healthz's HTTP work, and PostgreSQL's cost of a TPC-B
# transaction (machine time, pgbench included) for the writes. The machine's cores divide by the sum.
cores = int(r["machine"].split()[0])
round_trip_ms = cpu_ms("me", "server") + cpu_ms("me", "postgres") - cpu_ms("healthz", "server")
action_floor_ms = 2 * round_trip_ms + cpu_ms("healthz", "server") + cores * 1000 / tpcb
action_ceiling = cores * 1000 / action_floor_ms


healthz, me = float(r["healthz_rps"]), float(r["me_rps"])
seed_floor = float(r["seed_floor_seconds"]) * int(env["PROJECTS"]) / int(r["seed_floor_projects"])
rows = [
    ("pgbench TPC-B", f"{tpcb:,.0f} tps", "", ""),
    ("pgbench select-only", f"{select:,.0f} tps", "", ""),
    ("the server without the database: GET /healthz", f"{healthz:,.0f} req/s, p99 {ms(r['healthz_p99']):.1f} ms",
     f"{healthz / select:.0%} of select-only", cpu("healthz")),
    ("the server with one database round trip: GET /v1/me", f"{me:,.0f} req/s, p99 {ms(r['me_p99']):.1f} ms",
     f"{me / select:.0%} of select-only", cpu("me") + "; the ceiling of any read that asks PostgreSQL"),
    ("item actions (supplement request)", f"{actions:,.0f} req/s, p99 {actions_p99:.1f} ms",
     f"{actions / tpcb:.0%} of TPC-B", f"≥ 50 %, p99 ≤ 50 ms: {verdict(actions >= 0.5 * tpcb and actions_p99 <= 50)}; {cpu('actions')}"),
    ("status reads, first read of each project (computed)", f"{status:,.0f} req/s, p99 {status_p99:.1f} ms",
     f"{status / select:.0%} of select-only", f"≥ 25 %, p99 ≤ 20 ms: {verdict(status >= 0.25 * select and status_p99 <= 20)}; {cpu('status')}"),
    ("status reads, repeated (stored answers)", f"{repeated:,.0f} req/s, p99 {repeated_p99:.1f} ms",
     f"{repeated / select:.0%} of select-only", f"≥ 25 %, p99 ≤ 20 ms: {verdict(repeated >= 0.25 * select and repeated_p99 <= 20)}; {cpu('status_repeated')}"),
    ("an item action's ceiling: 2 round trips at /v1/me's cost, /healthz's HTTP work, a TPC-B transaction's writes",
     f"≤ {action_ceiling:,.0f}/s ({round_trip_ms:.2f} ms CPU per round trip)", f"{action_ceiling / tpcb:.0%} of TPC-B",
     "the ceiling for ≥ 50 %"),
    (f"sweeper at {int(r['sweep_small_projects']):,} projects",
     f"{r['sweep_small_defaults']} default approvals in {float(r['sweep_small_seconds']):.2f} s = {small_rate:,.0f}/s",
     f"{small_cost:.0f} µs each", f"≥ 5,000/s: {verdict(small_rate >= 5000)}"),
    (f"sweeper at {int(r['sweep_large_projects']):,} projects",
     f"{r['sweep_large_defaults']} default approvals in {float(r['sweep_large_seconds']):.2f} s = {large_rate:,.0f}/s",
     f"{large_cost:.0f} µs each ({drift:+.0%} vs small)", f"≥ 5,000/s, ±20 %: {verdict(large_rate >= 5000 and abs(drift) <= 0.2)}"),
    (f"PostgreSQL alone: the rows of {int(r['floor_defaults']):,} default approvals, set-based",
     f"{floor_seconds:.2f} s = {floor_rate:,.0f}/s", f"sweeper at {large_rate / floor_rate:.0%} of it", "the floor for ≥ 5,000/s"),
]
for name, seconds in reports.items():
    rows.append((f"report {name}, whole province", f"{seconds:.3f} s", "", f"≤ 1 s: {verdict(seconds <= 1)}"))
rows.append(("server peak RSS (VmHWM)", f"{rss} MB", "", f"≤ 200 MB: {verdict(rss <= 200)}"))
rows.append((f"approvals seed --projects {int(env['PROJECTS']):,}", f"{seed_seconds:,.0f} s ({r.get('seed_date', '')})", "",
             f"≤ 600 s: {verdict(seed_seconds <= 600)}"))
rows.append((f"PostgreSQL alone: COPY of {int(r['seed_floor_projects']):,} seeded projects' rows, indexes built after",
             f"{float(r['seed_floor_seconds']):.1f} s, so ≥ {seed_floor:,.0f} s for {int(env['PROJECTS']):,}", "",
             "the floor for ≤ 600 s"))

table = [
    f"Run of {r['date']} on {r['machine']}; PostgreSQL {r['postgres']}, Swift {r['swift']}; "
    f"{env['CLIENTS']} clients, {env['DURATION']} s per load; {int(env['PROJECTS']):,} projects ({r['size']}), "
    f"backlogs of {int(env['BACKLOG']):,}. Command: `scripts/bench` (logs in `.bench/log/`).",
    "",
    f"Generator: {r.get('seed_line', '')}",
    "",
    "| what | figure | ratio | budget |",
    "|---|---|---|---|",
] + [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
text = "\n".join(table)
print(text)

path = "BENCHMARKS.md"
begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
doc = open(path).read() if os.path.exists(path) else f"# Benchmarks\n\n{begin}\n{end}\n"
if begin not in doc:
    doc += f"\n{begin}\n{end}\n"
head, rest = doc.split(begin, 1)
tail = rest.split(end, 1)[1]
open(path, "w").write(f"{head}{begin}\n{text}\n{end}{tail}")
