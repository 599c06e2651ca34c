"""Latency of the web app under load: warm p50 and p95 for a personalized handout + card.

    .venv/bin/python scripts/benchmark_web.py [--clients 1 4] [--requests 25]

Starts `handouts serve` on loopback, warms it, then, for each count in CLIENTS, runs that
many concurrent clients that each POST REQUESTS personalized handout+card documents to
/api/documents (bounded in count, loopback only), each for another patient: names of
different lengths, other dates, wards and phone numbers. Prints one Markdown table row
per count: one client shows a request's own time, four show it under load.
"""

import argparse
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Each request is for another patient; the long names take two lines on the card.
NAMES = [
    "Ana López",
    "María José García Fernández",
    "Liam O'Connor",
    "Kim Ng",
    "Jean-Baptiste Émile Rousseau-Delacroix de la Tour",
    "Zephyrine Quackenbush",
    "Olumide Adeyemi",
    "Søren Kierkegaard Ibsen",
    # Names in other scripts, as a US or European hospital prints them every day: their
    # letters come from the fallback fonts (a CJK font is the largest to subset).
    "Nguyễn Thị Minh Khai",
    "李小龍",
    "فاطمة الزهراء",
    "Олександра Ковальчук",
]
_count = itertools.count()


def body() -> bytes:
    number = next(_count)
    return json.dumps(
        {
            "drug": "blinatumomab",
            "lang": "es",
            "kinds": ["handout", "card"],
            "personalization": {
                "patient_name": NAMES[number % len(NAMES)],
                "care_team": f"Ward {number % 9 + 1}",
                "phone": f"+1 555 010 {number % 10000:04d}",
                "start_date": f"2026-{number % 12 + 1:02d}-{number % 28 + 1:02d}",
            },
        }
    ).encode()


def post(url: str) -> float:
    request = urllib.request.Request(
        url + "/api/documents",
        data=body(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.headers["Content-Type"] == "application/pdf"
        response.read()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--clients",
        type=int,
        nargs="+",
        default=[1, 4],
        help="concurrent clients; one row for each count (default: 1 4)",
    )
    parser.add_argument("--requests", type=int, default=25)
    args = parser.parse_args()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "handouts", "serve", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/api/catalog", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        for _ in range(2 * (os.cpu_count() or 1)):  # warm every worker
            post(url)
        rows = [load(url, clients, args.requests) for clients in args.clients]
    finally:
        server.terminate()
        server.wait(timeout=30)
    for row in rows:
        print(row)


def load(url: str, clients: int, requests: int) -> str:
    """CLIENTS threads each POST REQUESTS documents, one after another; one table row."""
    latencies, lock = [], threading.Lock()

    def client():
        for _ in range(requests):
            seconds = post(url)
            with lock:
                latencies.append(seconds)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[max(0, int(round(0.95 * len(latencies))) - 1)]
    who = "1 client" if clients == 1 else f"{clients} concurrent clients"
    return (
        f"| Web app, personalized handout + card, {who}, {len(latencies)} requests | "
        f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms "
        f"({len(latencies) / wall:.1f} requests/s) |"
    )


if __name__ == "__main__":
    main()
