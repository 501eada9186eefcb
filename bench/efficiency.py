"""Benchmark: efficiency scores and dashboards over many applications (issue 4, §5).

Run by ``make bench-efficiency`` (inside scripts/with-test-services: a private, throwaway
PostgreSQL unless DATABASE_URL is set — then that database is used and filled, so give it a
throwaway one). Steps:

1. migrate, load the demo city and catalogue, create the scoring rule;
2. generate ``BENCH_APPLICATIONS`` applications (default 10,000,000) over the last
   ``BENCH_MONTHS`` months (default 10, so about a million concluded a month) with their one-time
   notices, ratings, licences and licence-library reuses, written by COPY in batches, in the shape
   the services leave them (receipt, acceptance, working-day due dates, conclusion);
3. build the rollups from scratch (timed);
4. score the last complete month three times through ``compute_scoring_run`` and run a
   hand-written SQL computing the same figures three times; report the medians and the ratio, and
   check that both agree department by department;
5. time the dashboard's data endpoint and page through Django's test client, signed in as the
   city supervisor (p50/p95), then over HTTP through gunicorn as the supervisor's browser asks for
   them: to the first byte (TTFB) and to the last.

Targets (issue): at 10,000,000 applications the data endpoint p95 ≤ 100 ms and the page ≤ 300 ms;
a month's scores over 1,000,000 concluded applications ≤ 10 s and ≤ 3 × the hand-written SQL.
Prints a table; writes var/bench/efficiency.json. Smoke it small: BENCH_APPLICATIONS=20000.
"""

import asyncio
import io
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
APPLICATIONS = int(os.environ.get("BENCH_APPLICATIONS", "10000000"))
MONTHS = int(os.environ.get("BENCH_MONTHS", "10"))
BATCH = int(os.environ.get("BENCH_BATCH", "200000"))
ENDPOINT_REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
SEED = 20260101
USCC = "91350100M000100Y43"


def manage(*args: str, env: dict) -> None:
    flags = ["-S"] if sys.flags.no_site else []  # started without site (PYTHONPATH given): so are these
    subprocess.run([PYTHON, *flags, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 1)


# --- Generating the cases -------------------------------------------------------------------------------


class Generator:
    """Rows of applications and their notices, ratings, licences and reuses, as the services make them."""

    def __init__(self, versions, today: date):
        from portal.workdays import add_working_days, is_working_day, next_working_day

        self.add_working_days, self.is_working_day, self.next_working_day = (
            add_working_days, is_working_day, next_working_day)
        self.rng = random.Random(SEED)
        self.versions = versions
        self.today = today
        self.first_day = (today.replace(day=1) - timedelta(days=31 * (MONTHS - 1))).replace(day=1)
        self.span = (today - self.first_day).days + 1

    def case(self, application_id: int) -> dict:
        rng = self.rng
        version = rng.choice(self.versions)
        received = self.first_day + timedelta(days=rng.randrange(self.span))
        if not self.is_working_day(received):
            received = self.next_working_day(received)
        if received > self.today:
            received = self.today
        channel = rng.choices(["online", "window", "api"], weights=[55, 40, 5])[0]
        row = {"id": application_id, "version": version, "channel": channel, "received": received,
               "status": "submitted", "accepted": None, "concluded": None, "notice": None, "rating": None,
               "licence": False, "reused": rng.random() < 0.08}
        roll = rng.random()
        if roll < 0.03:
            row["status"] = "not_accepted"
            return row
        if roll < 0.05 and received < self.today:
            row["status"] = "withdrawn"
            return row
        if channel == "online" and rng.random() < 0.1:
            row["notice"] = received
        accepted = received if channel == "window" else self.add_working_days(received, rng.choice([0, 0, 1, 2]))
        if accepted > self.today:
            return row  # still in pre-review
        row["accepted"] = accepted
        limit = version["promised_limit"]
        row["promised_due"] = self.add_working_days(accepted, limit)
        row["statutory_due"] = self.add_working_days(accepted, version["statutory_limit"])
        kind = rng.random()
        if kind < 0.6:
            used = int(limit * rng.uniform(0.2, 0.95))
        elif kind < 0.9:
            used = limit
        else:
            used = limit + rng.randint(1, 6)
        concluded = self.add_working_days(accepted, used)
        if concluded > self.today:
            row["status"] = "in_progress"
            return row
        row["status"], row["concluded"] = "concluded", concluded
        if channel == "online" and rng.random() < 0.35:
            row["rating"] = (concluded + timedelta(days=rng.choice([0, 1, 2])),
                             rng.choices([1, 2, 3, 4, 5], weights=[2, 3, 10, 35, 50])[0])
        row["licence"] = rng.random() < 0.4
        return row


def _ts(day: date, hour: int) -> str:
    return f"{day.isoformat()} {hour:02d}:00:00+08"


def _null(value) -> str:
    return "\\N" if value is None else str(value)


APPLICATION_COLUMNS = [
    "id", "receipt_number", "item_version_id", "department_id", "region_path", "status", "channel", "kind",
    "subject_licence_id", "applicant_id", "subject_type", "applicant_name", "identity_code",
    "identity_override_reason", "contact_name", "contact_phone", "contact_email", "form_data", "filed_by_id",
    "created_at", "submitted_at", "received_on", "accepted_on", "deemed_accepted", "decided_on", "concluded_at",
    "promised_limit", "statutory_limit", "extension_days", "deadline_epoch", "promised_due", "statutory_due",
    "due_is_provisional", "is_paused", "current_step", "assignee_id", "claimed_at", "closing_reason",
]


def application_line(row: dict) -> str:
    version = row["version"]
    received, accepted, concluded = row["received"], row["accepted"], row["concluded"]
    step = {"in_progress": "approve_conclude"}.get(row["status"], "")
    values = [
        row["id"], f"BENCH{row['id']:012d}", version["id"], version["department_id"], version["region_path"],
        row["status"], row["channel"], "new", None, None, "enterprise", f"压测企业{row['id']}", USCC, "", "",
        "13900001111", "", "{}", None, _ts(received, 9), _ts(received, 10), received.isoformat(),
        accepted.isoformat() if accepted else None, "f", concluded.isoformat() if concluded else None,
        _ts(concluded, 15) if concluded else None, version["promised_limit"], version["statutory_limit"], 0, 1,
        row["promised_due"].isoformat() if accepted else None, row["statutory_due"].isoformat() if accepted else None,
        "f", "f", step, None, None, "",
    ]
    return "\t".join(_null(value) for value in values) + "\n"


def load(connection, generator: Generator, total: int) -> dict:
    """COPY the cases and their children in batches; returns counts."""
    raw = connection.cursor().cursor
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM approvals_application")
        first_id = cursor.fetchone()[0] + 1
    counts = {"applications": 0, "concluded": 0, "notices": 0, "ratings": 0, "licences": 0, "reused": 0}
    notice_items = json.dumps([{"material": "申请书", "requirement": "补交原件"}], ensure_ascii=False)
    for start in range(0, total, BATCH):
        applications, notices, ratings, licences, materials = (io.StringIO() for _ in range(5))
        for offset in range(min(BATCH, total - start)):
            row = generator.case(first_id + start + offset)
            applications.write(application_line(row))
            counts["applications"] += 1
            counts["concluded"] += row["status"] == "concluded"
            if row["notice"] is not None:
                notices.write(f"{row['id']}\t{_ts(row['notice'], 11)}\t窗口人员\t{notice_items}\t"
                              f"{_ts(row['notice'], 16)}\n")
                counts["notices"] += 1
            if row["rating"] is not None:
                rated, level = row["rating"]
                ratings.write(f"{row['id']}\t{level}\t\t{_ts(rated, 20)}\n")
                counts["ratings"] += 1
            if row["licence"]:
                version = row["version"]
                licences.write("\t".join([
                    str(uuid.UUID(int=row["id"])), f"BENCH-L{row['id']:012d}", str(row["id"]), str(version["id"]),
                    version["name"], f"压测企业{row['id']}", USCC, str(version["department_id"]),
                    version["region_path"], version["name"], row["concluded"].isoformat(),
                    row["concluded"].isoformat(), "\\N", "valid", f"bench{row['id']}"]) + "\n")
                counts["licences"] += 1
            if row["reused"]:
                materials.write(f"{row['id']}\t1\t营业执照\tt\treused\t\\N\t\\N\t已从电子证照库调取\n")
                counts["reused"] += 1
        for table, columns, buffer in [
            ("approvals_application", APPLICATION_COLUMNS, applications),
            ("approvals_onetimenotice", ["application_id", "issued_at", "issued_by_name", "items", "answered_at"],
             notices),
            ("approvals_rating", ["application_id", "level", "comment", "rated_at"], ratings),
            ("approvals_licence", ["id", "number", "application_id", "item_version_id", "licence_name",
                                   "holder_name", "holder_code", "department_id", "region_path", "scope",
                                   "issued_on", "valid_from", "valid_until", "status", "verification_token"],
             licences),
            ("approvals_materialsubmission", ["application_id", "position", "name", "required", "state",
                                              "stored_file_id", "reused_licence_id", "note"], materials),
        ]:
            buffer.seek(0)
            raw.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
        connection.commit()
        print(f"  loaded {counts['applications']:,} applications", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('approvals_application', 'id'), "
                       "(SELECT MAX(id) FROM approvals_application))")
        for table in ("approvals_application", "approvals_onetimenotice", "approvals_rating", "approvals_licence",
                      "approvals_materialsubmission"):
            cursor.execute(f"ANALYZE {table}")
    connection.commit()
    return counts


# --- The hand-written comparison -------------------------------------------------------------------------

RAW_SCORING_SQL = """
WITH cases AS (
    SELECT a.id, a.department_id, v.item_id, a.channel, a.status, a.accepted_on, a.promised_due,
           a.promised_limit, a.statutory_limit, (a.concluded_at AT TIME ZONE 'Asia/Shanghai')::date AS concluded_on,
           r.rated_at, r.level
    FROM approvals_application a JOIN catalogue_itemversion v ON v.id = a.item_version_id
    LEFT JOIN approvals_rating r ON r.application_id = a.id
    WHERE a.region_path LIKE %(prefix)s
      AND ((a.accepted_on BETWEEN %(start)s AND %(end)s)
        OR (a.status = 'concluded' AND a.concluded_at >= %(start_ts)s AND a.concluded_at < %(end_ts)s)
        OR (a.promised_due BETWEEN %(start)s AND %(end)s AND a.promised_due < %(as_of)s)
        OR a.id IN (SELECT application_id FROM approvals_rating
                    WHERE rated_at >= %(start_ts)s AND rated_at < %(end_ts)s))
)
SELECT c.department_id, c.item_id, c.channel = 'window' AS at_window,
  COUNT(*) FILTER (WHERE c.accepted_on BETWEEN %(start)s AND %(end)s) AS accepted,
  COUNT(*) FILTER (WHERE c.accepted_on BETWEEN %(start)s AND %(end)s AND c.channel = 'online') AS online,
  COUNT(*) FILTER (WHERE c.accepted_on BETWEEN %(start)s AND %(end)s
                   AND EXISTS (SELECT 1 FROM approvals_onetimenotice n WHERE n.application_id = c.id)) AS noticed,
  COALESCE(SUM(c.promised_limit) FILTER (WHERE c.accepted_on BETWEEN %(start)s AND %(end)s), 0) AS promised,
  COALESCE(SUM(c.statutory_limit) FILTER (WHERE c.accepted_on BETWEEN %(start)s AND %(end)s), 0) AS statutory,
  COUNT(*) FILTER (WHERE c.status = 'concluded' AND c.concluded_on BETWEEN %(start)s AND %(end)s) AS concluded,
  COUNT(*) FILTER (WHERE c.status = 'concluded' AND c.concluded_on BETWEEN %(start)s AND %(end)s
                   AND c.concluded_on < c.promised_due) AS early,
  COUNT(*) FILTER (WHERE c.status = 'concluded' AND c.concluded_on BETWEEN %(start)s AND %(end)s
                   AND c.concluded_on <= c.promised_due) AS on_time,
  COUNT(*) FILTER (WHERE c.promised_due BETWEEN %(start)s AND %(end)s AND c.promised_due < %(as_of)s
                   AND c.status IN ('in_progress', 'approved', 'refused', 'concluded')
                   AND NOT (c.status = 'concluded' AND c.concluded_on <= c.promised_due)
                   AND NOT EXISTS (SELECT 1 FROM approvals_pause p WHERE p.application_id = c.id
                                   AND p.ended_on IS NULL AND p.started_on <= c.promised_due)) AS overdue,
  COUNT(*) FILTER (WHERE c.rated_at >= %(start_ts)s AND c.rated_at < %(end_ts)s) AS ratings,
  COUNT(*) FILTER (WHERE c.rated_at >= %(start_ts)s AND c.rated_at < %(end_ts)s AND c.level >= 3) AS satisfied
FROM cases c
GROUP BY GROUPING SETS ((c.department_id), (c.item_id), (c.department_id, at_window))
"""


def raw_scoring(connection, *, start: date, end: date, as_of: date, prefix: str) -> list[tuple]:
    from approvals.clock import BEIJING

    params = {"start": start, "end": end, "as_of": as_of, "prefix": prefix + "%",
              "start_ts": datetime.combine(start, datetime.min.time(), tzinfo=BEIJING),
              "end_ts": datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=BEIJING)}
    with connection.cursor() as cursor:
        cursor.execute(RAW_SCORING_SQL, params)
        return cursor.fetchall()


# --- The run -------------------------------------------------------------------------------------------------


def main() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "0", "PORTAL_HTTPS": "0",
           "ALLOWED_HOSTS": "testserver,127.0.0.1", "PORTAL_VAR_DIR": str(ROOT / "var" / "bench")}
    if "DATABASE_URL" not in env:
        sys.exit("DATABASE_URL is not set: run through `make bench-efficiency` (scripts/with-test-services)")
    os.environ.update(env)
    manage("migrate", "--noinput", env=env)
    manage("load_demo", env=env)
    manage("setup_efficiency", env=env)

    sys.path.insert(0, str(ROOT))
    import django

    from bench.server import gunicorn

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from approvals.clock import beijing_date
    from portal.catalogue.models import ItemVersion
    from portal.organisation.models import Region, User
    from supervision.efficiency import rollups, services
    from supervision.efficiency.models import DailyRollup, MonthlyRollup, Score, ScoringRule

    today = beijing_date(timezone.now())
    versions = [{"id": v.pk, "department_id": v.department_id, "region_path": v.region_path, "name": v.name,
                 "promised_limit": v.promised_limit, "statutory_limit": v.statutory_limit}
                for v in ItemVersion.objects.current()]
    results: dict = {"applications": APPLICATIONS, "months": MONTHS}

    print(f"generating {APPLICATIONS:,} applications over {MONTHS} months by COPY …", flush=True)
    began = time.perf_counter()
    connection.ensure_connection()
    connection.set_autocommit(False)
    results["data"] = load(connection, Generator(versions, today), APPLICATIONS)
    connection.set_autocommit(True)
    results["load_seconds"] = round(time.perf_counter() - began, 1)

    print("building the rollups …", flush=True)
    began = time.perf_counter()
    rollups.rebuild_rollups()
    results["rollups"] = {"seconds": round(time.perf_counter() - began, 1),
                          "daily_rows": DailyRollup.objects.count(), "monthly_rows": MonthlyRollup.objects.count()}
    began = time.perf_counter()
    rollups.refresh_rollups()
    results["rollups"]["refresh_seconds"] = round(time.perf_counter() - began, 2)

    city = Region.objects.get(parent__isnull=True)
    supervisor = User.objects.get(username="supervisor_city")
    rule = ScoringRule.objects.get(code=services.DEFAULT_RULE_CODE)
    month_start, month_end = services.month_bounds(today.replace(day=1) - timedelta(days=1))
    print(f"scoring {month_start:%Y-%m} three times, and the hand-written SQL three times …", flush=True)
    scoring, raw, last_run = [], [], None
    for _ in range(3):
        run = services.request_scoring_run(rule=rule, region=city, period_start=month_start, period_end=month_end,
                                           actor=supervisor)
        began = time.perf_counter()
        last_run = services.compute_scoring_run(run.pk)
        scoring.append(time.perf_counter() - began)
        began = time.perf_counter()
        raw_rows = raw_scoring(connection, start=month_start, end=month_end, as_of=last_run.as_of, prefix=city.path)
        raw.append(time.perf_counter() - began)
    figures = ("accepted", "online", "accepted_after_notice", "promised_days", "statutory_days", "concluded",
               "concluded_early", "concluded_on_time", "overdue", "ratings", "ratings_satisfied")
    scored = {score.department_id: tuple(getattr(score, name) for name in figures)
              for score in Score.objects.filter(run=last_run, subject_kind="department")}
    by_hand = {row[0]: tuple(int(value) for value in row[3:14]) for row in raw_rows
               if row[0] is not None and row[1] is None and row[2] is None}
    by_hand = {department: values for department, values in by_hand.items() if any(values)}
    scored_concluded = sum(values[figures.index("concluded")] for values in scored.values())
    results["scoring"] = {
        "month": f"{month_start:%Y-%m}", "concluded_in_month": scored_concluded,
        "subjects": Score.objects.filter(run=last_run).count(),
        "run_median_s": round(statistics.median(scoring), 3), "raw_sql_median_s": round(statistics.median(raw), 3),
        "ratio": round(statistics.median(scoring) / statistics.median(raw), 2),
        "agrees_with_raw_sql": scored == by_hand,
    }

    print(f"timing the dashboard ({ENDPOINT_REQUESTS} data requests, {ENDPOINT_REQUESTS // 2} pages) …", flush=True)
    client = Client()
    client.force_login(supervisor)
    for _ in range(5):
        client.get("/supervision/efficiency/data/")
        client.get("/supervision/efficiency/")

    def timed(path: str, count: int, browser=client) -> dict:
        elapsed = []
        for _ in range(count):
            began = time.perf_counter()
            response = browser.get(path)
            elapsed.append(time.perf_counter() - began)
            assert response.status_code == 200, (path, response.status_code)
        return {"requests": count, "p50_ms": percentile(elapsed, 50), "p95_ms": percentile(elapsed, 95)}

    results["dashboard"] = {"data": timed("/supervision/efficiency/data/", ENDPOINT_REQUESTS),
                            "page": timed("/supervision/efficiency/", ENDPOINT_REQUESTS // 2)}
    print("… and over HTTP through gunicorn, to the first byte and to the last …", flush=True)
    with gunicorn({**env, "ALLOWED_HOSTS": "127.0.0.1"}) as (_server, port):
        results["dashboard_http"] = asyncio.run(_time_over_http(port, ENDPOINT_REQUESTS))

    print("publishing last month's ranking and timing the public page …", flush=True)
    began = time.perf_counter()
    for monthly in services.ensure_monthly_runs():
        services.compute_scoring_run(monthly.pk)
    results["public"] = {"monthly_run_s": round(time.perf_counter() - began, 3),
                         **timed("/rankings/", ENDPOINT_REQUESTS // 2, browser=Client())}

    out = ROOT / "var" / "bench" / "efficiency.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str))
    data = results["data"]
    print(f"\n{data['applications']:,} applications ({data['concluded']:,} concluded, {data['notices']:,} notices, "
          f"{data['ratings']:,} ratings, {data['licences']:,} licences, {data['reused']:,} reuses), "
          f"loaded in {results['load_seconds']} s")
    print(f"rollups: built in {results['rollups']['seconds']} s ({results['rollups']['daily_rows']:,} daily, "
          f"{results['rollups']['monthly_rows']:,} monthly rows); a refresh {results['rollups']['refresh_seconds']} s")
    s = results["scoring"]
    print(f"scores of {s['month']} ({s['concluded_in_month']:,} concluded, {s['subjects']} subjects): "
          f"run {s['run_median_s']} s, hand-written SQL {s['raw_sql_median_s']} s, ratio {s['ratio']} "
          f"(targets ≤ 10 s, ≤ 3×); agree: {s['agrees_with_raw_sql']}")
    for name, target in (("data", 100), ("page", 300)):
        d = results["dashboard"][name]
        print(f"dashboard {name} (in process): p50 {d['p50_ms']} ms, p95 {d['p95_ms']} ms over {d['requests']} "
              f"requests (target p95 ≤ {target} ms)")
    for name, target in (("data", 100), ("page", 300)):
        d = results["dashboard_http"][name]
        print(f"dashboard {name} over HTTP: first byte p50 {d['ttfb_p50_ms']} ms, p95 {d['ttfb_p95_ms']} ms; "
              f"last byte p95 {d['p95_ms']} ms; {d['bytes']:,} bytes (target p95 ≤ {target} ms)")
    public = results["public"]
    print(f"monthly ranking published in {public['monthly_run_s']} s; public page p50 {public['p50_ms']} ms, "
          f"p95 {public['p95_ms']} ms")
    print(f"results: {out}")


async def _time_over_http(port: int, count: int) -> dict:
    """The dashboard's data endpoint and page, one request at a time, as the city supervisor's
    browser asks for them over HTTP (gunicorn, a new connection each): first and last byte."""
    from bench.browser import Browser, Failure
    from bench.load import latency_summary
    from portal.demo import DEMO_PASSWORD

    browser = Browser(port)
    await browser.sign_in("supervisor_city", DEMO_PASSWORD, next_path="/supervision/efficiency/")
    timings = {}
    for name, path, requests in (("data", "/supervision/efficiency/data/", count),
                                 ("page", "/supervision/efficiency/", count // 2)):
        for _ in range(5):
            await browser.get(path)  # every worker warm
        first, last, size = [], [], 0
        for _ in range(requests):
            response = await browser.get(path)
            if response.status != 200:
                raise Failure(f"dashboard {name}", response)
            first.append(response.first_byte)
            last.append(response.elapsed)
            size = len(response.body)
        timings[name] = {"requests": requests, "bytes": size, **latency_summary(first, prefix="ttfb_"),
                         **latency_summary(last)}
    return timings


if __name__ == "__main__":
    main()
