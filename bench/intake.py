"""Benchmark: window intake through the real stack (gunicorn + PostgreSQL on loopback).

Run by ``make bench`` (inside scripts/with-test-services, so PostgreSQL and Redis are private
and throwaway unless DATABASE_URL/REDIS_URL are set). Steps: migrate, load the demo, start
gunicorn, sign window clerks in, then drive the intake form — one walk-in accepted per request —
at 20 and 100 concurrent users for a fixed time, and report throughput and p50/p95/p99. Also
times rendering and sealing a licence in a warm process. Prints a table; writes bench/results.json.

Targets (issue 3, this 2-core machine): >= 150 intakes/s with p99 <= 250 ms at 20 concurrent;
a signed licence in <= 0.3 s warm.
"""

import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DURATION_SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
CONCURRENCY_LEVELS = [int(n) for n in os.environ.get("BENCH_CONCURRENCY", "20,100").split(",")]
ITEM_CODE = "000133003000-JZ-JC-01"  # 食品经营许可 at 江城区 (demo catalogue)
CLERKS = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(*args: str, env: dict) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def check_digit_uscc(first17: str) -> str:
    sys.path.insert(0, str(ROOT))
    from portal.organisation.identity import uscc_check_character

    return first17 + uscc_check_character(first17)


async def request(port: int, method: str, path: str, *, headers: dict, body: bytes = b"") -> tuple[int, dict, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    response_headers: dict[str, list[str]] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        response_headers.setdefault(name.strip().lower(), []).append(value.strip())
    return int(status_line.split()[1]), response_headers, payload


async def sign_in(port: int, username: str) -> dict:
    status, headers, body = await request(port, "GET", "/accounts/login/", headers={})
    cookies = {c.split(";")[0].split("=")[0]: c.split(";")[0].split("=")[1] for c in headers.get("set-cookie", [])}
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = urllib.parse.urlencode({"username": username, "password": "Demo@2026", "csrfmiddlewaretoken": token,
                                   "next": "/workspace/"}).encode()
    status, headers, _ = await request(port, "POST", "/accounts/login/", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookies['csrftoken']}"})
    assert status == 302, f"sign-in of {username} failed ({status})"
    for cookie in headers.get("set-cookie", []):
        name, value = cookie.split(";")[0].split("=", 1)
        cookies[name] = value
    return cookies


async def drive(port: int, sessions: list[dict], concurrency: int, seconds: float) -> dict:
    latencies: list[float] = []
    failures = 0
    stop = time.monotonic() + seconds
    counter = 0

    async def user(index: int) -> None:
        nonlocal failures, counter
        cookies = sessions[index % len(sessions)]
        cookie_header = "; ".join(f"{k}={v}" for k, v in cookies.items())
        while time.monotonic() < stop:
            counter += 1
            code = check_digit_uscc(f"91360100MA{(index * 1_000_000 + counter) % 10_000_000:07d}")
            form = urllib.parse.urlencode({
                "csrfmiddlewaretoken": cookies["csrftoken"], "subject_type": "enterprise", "identity_code": code,
                "applicant_name": f"江州测试企业{counter}有限公司", "contact_phone": "13900001111",
                "outcome": "accept", "reason": "", **{f"material_{n}": "on" for n in range(1, 7)},
            }).encode()
            started = time.perf_counter()
            status, _, _ = await request(port, "POST", f"/workspace/intake/{ITEM_CODE}/", body=form, headers={
                "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie_header,
                "Referer": f"http://127.0.0.1:{port}/", "X-Forwarded-Proto": "http"})
            elapsed = time.perf_counter() - started
            if status == 302:
                latencies.append(elapsed)
            else:
                failures += 1

    began = time.monotonic()
    await asyncio.gather(*(user(i) for i in range(concurrency)))
    wall = time.monotonic() - began
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000 if latencies else float("nan")

    return {"concurrency": concurrency, "completed": len(latencies), "failed": failures,
            "throughput_per_s": round(len(latencies) / wall, 1), "p50_ms": round(percentile(50), 1),
            "p95_ms": round(percentile(95), 1), "p99_ms": round(percentile(99), 1),
            "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else None}


def document_timing(env: dict) -> dict:
    script = (
        "import time, statistics, tempfile, django; django.setup();"
        "from django.conf import settings; settings.PKI_DIR = __import__('pathlib').Path(tempfile.mkdtemp());"
        "from portal.documents.rendering import render_pdf; from portal.documents.samples import SAMPLES;"
        "from portal.documents.signing import get_signer; signer = get_signer();"
        "context = SAMPLES['licence'];"
        "[signer.sign(render_pdf('licence', context), organ_code='C-SPJ', organ_name='江州市行政审批局', reason='bench') for _ in range(3)];"
        "render=[]; both=[]\n"
        "for _ in range(20):\n"
        "    t=time.perf_counter(); pdf=render_pdf('licence', context); render.append(time.perf_counter()-t)\n"
        "    t=time.perf_counter(); signer.sign(render_pdf('licence', context), organ_code='C-SPJ', organ_name='江州市行政审批局', reason='bench'); both.append(time.perf_counter()-t)\n"
        "print(round(statistics.median(render)*1000,1), round(statistics.median(both)*1000,1))"
    )
    output = subprocess.run([PYTHON, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    render_ms, signed_ms = output.stdout.split()[-2:]
    return {"licence_render_median_ms": float(render_ms), "licence_render_and_sign_median_ms": float(signed_ms)}


def main() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "0", "PORTAL_HTTPS": "0",
           "ALLOWED_HOSTS": "127.0.0.1", "PORTAL_VAR_DIR": str(ROOT / "var" / "bench")}
    if "DATABASE_URL" not in env:
        sys.exit("DATABASE_URL is not set: run through `make bench` (scripts/with-test-services)")
    manage("migrate", "--noinput", env=env)
    manage("load_demo", env=env)
    manage("shell", "-c", _extra_clerks_script(), env=env)
    port = free_port()
    workers = int(os.environ.get("BENCH_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
    server = subprocess.Popen([PYTHON, "-m", "gunicorn", "portal.wsgi:application", "-b", f"127.0.0.1:{port}",
                               "--workers", str(workers), "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        sessions = asyncio.run(_sign_in_all(port))
        asyncio.run(drive(port, sessions, 4, 3))  # warm-up
        results = {"workers": workers, "seconds": DURATION_SECONDS,
                   "runs": [asyncio.run(drive(port, sessions, c, DURATION_SECONDS)) for c in CONCURRENCY_LEVELS]}
    finally:
        server.terminate()
        server.wait(timeout=30)
    results["documents"] = document_timing(env)
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"\nwindow intake through gunicorn ({workers} workers) + PostgreSQL, {DURATION_SECONDS:.0f} s per level")
    print(f"{'concurrent':>10} {'done':>6} {'failed':>6} {'per s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    for run in results["runs"]:
        print(f"{run['concurrency']:>10} {run['completed']:>6} {run['failed']:>6} {run['throughput_per_s']:>7} "
              f"{run['p50_ms']:>7} {run['p95_ms']:>7} {run['p99_ms']:>7}")
    documents = results["documents"]
    print(f"licence render (warm, median): {documents['licence_render_median_ms']} ms; "
          f"render + seal: {documents['licence_render_and_sign_median_ms']} ms")


def _extra_clerks_script() -> str:
    return (
        "from portal.organisation import services as o; from portal.organisation.models import User, Department;"
        f"department = Department.objects.get(code='JZ-JC-SPJ');"
        f"[o.save_user(User(username=f'bench_clerk{{i}}', full_name=f'压测窗口{{i}}', department=department),"
        f" actor=None, roles=['window_clerk'], password='Demo@2026') for i in range({CLERKS})"
        " if not User.objects.filter(username=f'bench_clerk{i}').exists()]"
    )


async def _sign_in_all(port: int) -> list[dict]:
    return [await sign_in(port, f"bench_clerk{i}") for i in range(CLERKS)]


if __name__ == "__main__":
    main()
