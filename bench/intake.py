"""Benchmark: window intake and online filing through the real stack (gunicorn + PostgreSQL on loopback).

Run by ``make bench`` (inside scripts/with-test-services, so PostgreSQL and Redis are private
and throwaway unless DATABASE_URL/REDIS_URL are set). Steps: migrate, load the demo, create the
bench's window clerks and one applicant account per concurrent user (``bench/accounts.py``),
start gunicorn and sign everyone in through the login page, warm up, then at each concurrency
level (20 and 100 by default) for a fixed time, one after the other:

- window intake: clerks post the intake form, one walk-in accepted per request; throughput and
  the p50/p95/p99 of those requests.
- online filing: each applicant, in its own browser (``bench/browser.py``: cookies, redirects
  followed, CSRF tokens read from the pages), files 食品经营许可 from "在线申报" to the
  confirmation (``bench/filing.py``: the task list, applicant details, three questions, six
  PDF uploads, check your answers, submit), about 35 requests a filing. Reported: filings
  completed per second and the p50/p95/p99 of a whole filing, and the p50/p95/p99 of the
  individual requests (every GET and POST, each redirect followed counted as its own request).

Users start no new intake or filing once the time is up, finish the one under way, and the
throughput counts that tail in the time (``bench/load.py``). Also times rendering, and rendering
and sealing, each kind of document in a warm process. Prints a table; writes bench/results.json (``intake``, ``filing`` and
``documents``; a level with failures keeps the first one's status and page start).

Targets (issue 3, this 2-core machine): >= 150 intakes/s with p99 <= 250 ms at 20 concurrent;
a signed licence in <= 0.3 s warm.
"""

import asyncio
import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

# Run as a script: bench's own modules and the portal's identity codes from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.accounts import PASSWORD, applicant_username, clerk_username
from bench.browser import Browser, Failure, exchange
from bench.cpu import StackCpu
from bench.filing import drive_filing
from bench.load import closed_loop, latency_summary
from bench.server import gunicorn
from portal.organisation.identity import uscc_check_character

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DURATION_SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
CONCURRENCY_LEVELS = [int(n) for n in os.environ.get("BENCH_CONCURRENCY", "20,100").split(",")]
WARM_UP_CONCURRENCY, WARM_UP_SECONDS = 4, 3
ITEM_CODE = "000133003000-JZ-JC-01"  # 食品经营许可 at 江城区 (demo catalogue), for citizens and enterprises
CLERKS = 8
APPLICANTS = max(CONCURRENCY_LEVELS + [WARM_UP_CONCURRENCY])  # one account per concurrent applicant


def manage(*args: str, env: dict) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


async def drive_intake(port: int, clerks: list[Browser], concurrency: int, seconds: float,
                       cpu: StackCpu | None = None) -> dict:
    """Walk-ins accepted at the window, one POST each, by ``concurrency`` users sharing the clerks;
    with ``cpu``, also the CPU the whole stack spent per intake (see bench/cpu.py)."""
    latencies: list[float] = []
    counter = 0

    async def intake_one(index: int) -> None:
        nonlocal counter
        counter += 1
        first17 = f"91360100MA{(index * 1_000_000 + counter) % 10_000_000:07d}"
        clerk = clerks[index % len(clerks)]
        form = urllib.parse.urlencode({
            "csrfmiddlewaretoken": clerk.cookies["csrftoken"], "subject_type": "enterprise",
            "identity_code": first17 + uscc_check_character(first17),
            "applicant_name": f"江州测试企业{counter}有限公司", "contact_phone": "13900001111",
            "outcome": "accept", "reason": "", **{f"material_{n}": "on" for n in range(1, 7)},
        }).encode()
        response = await exchange(port, "POST", f"/workspace/intake/{ITEM_CODE}/", body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": clerk.cookie_header(),
            "Referer": f"http://127.0.0.1:{port}/", "X-Forwarded-Proto": "http"})
        if response.status != 302:
            raise Failure("window intake", response)
        latencies.append(response.elapsed)

    before, driver_before = (cpu.snapshot(), cpu.driver_seconds()) if cpu else (None, 0.0)
    run = await closed_loop(concurrency, seconds, intake_one)
    cost = {}
    if cpu and run.completed:
        spent = {**cpu.seconds_between(before, cpu.snapshot()), "driver": cpu.driver_seconds() - driver_before}
        per_intake = sum(spent.values()) / run.completed
        cost = {"cpu_ms_per_intake": round(per_intake * 1000, 2),
                "cpu_ms_per_intake_by_part": {part: round(seconds / run.completed * 1000, 2)
                                              for part, seconds in spent.items()},
                "capacity_per_s_on_idle_machine": round((os.cpu_count() or 1) / per_intake, 1)}
    return {"concurrency": concurrency, "completed": run.completed, "failed": run.failed,
            "throughput_per_s": run.per_second(), **latency_summary(latencies), **cost, **run.failure_fields()}


DOCUMENT_SCRIPT = """
import json, statistics, sys, tempfile, time
from pathlib import Path
import django
django.setup()
from django.conf import settings
settings.PKI_DIR = Path(tempfile.mkdtemp())
from portal.documents.rendering import render_pdf
from portal.documents.samples import SAMPLES
from portal.documents.signing import get_signer
signer = get_signer()
def sealed(kind):
    return signer.sign(render_pdf(kind, SAMPLES[kind]), organ_code="C-SPJ", organ_name="江州市行政审批局", reason="bench")
timings = {}
for kind in SAMPLES:
    for _ in range(2):
        sealed(kind)  # warm: fonts, templates, the signer's key
    render, both = [], []
    for _ in range(int(sys.argv[1])):
        began = time.perf_counter(); render_pdf(kind, SAMPLES[kind]); render.append(time.perf_counter() - began)
        began = time.perf_counter(); sealed(kind); both.append(time.perf_counter() - began)
    timings[str(kind)] = [round(statistics.median(render) * 1000, 1), round(statistics.median(both) * 1000, 1)]
print(json.dumps(timings))
"""


def document_timing(env: dict, repeats: int = 10) -> dict:
    """Each document kind rendered, and rendered and sealed, in a warm process: medians in ms."""
    output = subprocess.run([PYTHON, "-c", DOCUMENT_SCRIPT, str(repeats)], cwd=ROOT, env=env, check=True,
                            capture_output=True, text=True)
    timings = json.loads(output.stdout.strip().splitlines()[-1])
    return {"render_and_seal_median_ms": {kind: both for kind, (_render, both) in timings.items()},
            "render_median_ms": {kind: render for kind, (render, _both) in timings.items()},
            "licence_render_median_ms": timings["licence"][0],
            "licence_render_and_sign_median_ms": timings["licence"][1]}


def main() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "0", "PORTAL_HTTPS": "0",
           "ALLOWED_HOSTS": "127.0.0.1", "PORTAL_VAR_DIR": str(ROOT / "var" / "bench")}
    if "DATABASE_URL" not in env:
        sys.exit("DATABASE_URL is not set: run through `make bench` (scripts/with-test-services)")
    manage("migrate", "--noinput", env=env)
    manage("load_demo", env=env)
    manage("shell", "-c", "from bench.accounts import create_bench_accounts; "
           f"create_bench_accounts(clerks={CLERKS}, applicants={APPLICANTS})", env=env)
    workers = int(os.environ.get("BENCH_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
    with gunicorn(env, workers=workers) as (server, port):
        cpu = StackCpu(server.pid, urllib.parse.urlparse(env["DATABASE_URL"]).path.lstrip("/"))
        results = {"workers": workers, "seconds": DURATION_SECONDS, **asyncio.run(_drive_all(port, cpu))}
    results["documents"] = document_timing(env)
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))
    _print_results(results)


async def _drive_all(port: int, cpu: StackCpu) -> dict:
    clerks = [Browser(port) for _ in range(CLERKS)]
    applicants = [Browser(port) for _ in range(APPLICANTS)]
    await asyncio.gather(*(clerk.sign_in(clerk_username(index), PASSWORD, next_path="/workspace/")
                           for index, clerk in enumerate(clerks)))
    await asyncio.gather(*(applicant.sign_in(applicant_username(index), PASSWORD, next_path="/my/applications/")
                           for index, applicant in enumerate(applicants)))
    await drive_intake(port, clerks, WARM_UP_CONCURRENCY, WARM_UP_SECONDS)
    await drive_filing(applicants, ITEM_CODE, WARM_UP_CONCURRENCY, WARM_UP_SECONDS)
    intake, filing = [], []
    for concurrency in CONCURRENCY_LEVELS:
        intake.append(await drive_intake(port, clerks, concurrency, DURATION_SECONDS, cpu))
        filing.append(await drive_filing(applicants, ITEM_CODE, concurrency, DURATION_SECONDS))
    return {"intake": intake, "filing": filing}


def _print_results(results: dict) -> None:
    print(f"\nwindow intake through gunicorn ({results['workers']} workers) + PostgreSQL, "
          f"{DURATION_SECONDS:.0f} s per level (one POST per intake)")
    print(f"{'concurrent':>10} {'done':>7} {'failed':>6} {'per s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
          f" {'CPU ms each':>11} {'capacity/s':>10}")
    for run in results["intake"]:
        print(f"{run['concurrency']:>10} {run['completed']:>7} {run['failed']:>6} {run['throughput_per_s']:>7} "
              f"{run['p50_ms']:>7} {run['p95_ms']:>7} {run['p99_ms']:>7} {run.get('cpu_ms_per_intake', '-'):>11} "
              f"{run.get('capacity_per_s_on_idle_machine', '-'):>10}")
    print("  CPU ms each: gunicorn, the database's backends and the load driver, per intake; capacity/s: the"
          " cores over that cost, what the stack carries when nothing else runs on the machine")
    for run in results["intake"]:
        if "cpu_ms_per_intake_by_part" in run:
            parts = ", ".join(f"{part} {ms} ms" for part, ms in run["cpu_ms_per_intake_by_part"].items())
            print(f"  at {run['concurrency']} concurrent, CPU per intake: {parts}")
    print("\nonline filing, start to confirmation (per filing), and its requests one by one (p50/p95/p99)")
    print(f"{'concurrent':>10} {'filings':>7} {'failed':>6} {'per s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
          f" {'requests':>8} {'req/s':>7} {'filing p50 ms':>13}")
    for run in results["filing"]:
        print(f"{run['concurrency']:>10} {run['completed']:>7} {run['failed']:>6} {run['filings_per_s']:>7} "
              f"{run['p50_ms']:>7} {run['p95_ms']:>7} {run['p99_ms']:>7} {run['requests']:>8} "
              f"{run['requests_per_s']:>7} {run['filing_p50_ms']:>13}")
    for run in results["intake"] + results["filing"]:
        if run.get("first_failure"):
            print(f"\nfirst failure at {run['concurrency']} concurrent: {run['first_failure']}")
    documents = results["documents"]
    print("\ndocuments in a warm worker, median ms (render / render + seal):")
    for kind, both in documents["render_and_seal_median_ms"].items():
        print(f"  {kind:<24} {documents['render_median_ms'][kind]:>7} / {both:>7}")


if __name__ == "__main__":
    main()
