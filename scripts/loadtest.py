"""Load test of the web app: concurrent clients sending a realistic mix of requests.

    .venv/bin/python scripts/loadtest.py [--clients 1 4] [--duration 60 | --requests N]
        [--best-case] [--kill-worker-at SECONDS] [--seed 1] [--url http://127.0.0.1:8000]

Starts `handouts serve` on loopback (or uses the running server at --url), warms it with
one request for each drug and language, then WARM_UP seconds of the realistic mix (the
layouts each worker keeps fill up, as in a ward's first minutes); then, for each count in
CLIENTS, runs that many clients, each POSTing to /api/documents one request after
another, for DURATION seconds or REQUESTS requests each. The realistic mix: both drugs,
the languages a ward prints in (default en, es, ar, zh-Hans, ru, vi; English and Spanish
the most often), a handout, a card or both, mostly on the ward's paper and card stock,
sometimes large print, patients' names of 2 to 50 characters in ten scripts (mostly the
document language's own script, else Latin letters, now and then any other), and other
care teams, phone numbers and start dates; the same SEED sends the same requests.
--best-case adds, before each realistic run, the old best case: one drug, English,
handout + card, Latin names.

A 200 counts only if its body is a PDF. Latency percentiles are of the successful
requests. Memory is the proportional set size of the server and all its processes
(workers, fork server) from /proc: a page they share is counted once in all.

--kill-worker-at SECONDS kills (SIGKILL) one render worker of the server that many seconds
into the last realistic run, and reports the failures in the 10 s after, the longest time
without a successful response, and whether memory ends within 10 % of where it started.

Prints the plain figures, then Markdown table rows for the README.
"""

import argparse
import datetime as dt
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Patients' names as a hospital types them: for each script, how often it comes up,
# whether the family name comes first, given names and family names.
SCRIPTS = {
    "Latin": (
        6,
        False,
        "José, Zoë, Łukasz, Şükrü, Ana, María José, Björn, Chloé, Kim, Jean-Baptiste, "
        "Siobhán, Olumide, Ngozi, Liam, Søren, Dvořák",
        "García Fernández, Ó Súilleabháin, Müller-Lüdenscheidt, Nowak, Öztürk, de la Tour, "
        "Ng, Rousseau-Delacroix, Adeyemi, Wójcik, O'Connor, Lee",
    ),
    "Vietnamese": (
        1,
        True,
        "Thị Minh Khai, Văn An, Ngọc Ánh, Đức Thắng, Thu Hương, Quốc Bảo",
        "Nguyễn, Trần, Lê, Phạm, Hoàng, Huỳnh, Võ, Đặng",
    ),
    "Arabic": (
        1,
        False,
        "فاطمة, محمد, عبد الرحمن, نور, يوسف, مريم",
        "الزهراء, العتيبي, بن عبد الله, الحسيني, الشمري",
    ),
    "Hebrew": (1, False, "נועה, יוסף, אברהם, שרה, מיכאל", "כהן, לוי, בן דוד, פרידמן, מזרחי"),
    "Chinese": (1, True, "小龙, 秀英, 伟, 静怡, 建国", "李, 王, 张, 欧阳, 司马"),
    "Japanese": (1, True, "花子, 太郎, さくら, ゆうき, 健一", "山田, 佐藤, 鈴木, 高橋"),
    "Korean": (1, True, "민준, 서연, 지우, 하은, 도윤", "김, 이, 박, 최, 남궁"),
    "Cyrillic": (
        1,
        False,
        "Олександра, Дмитрий, Анна-Мария, Сергей, Екатерина",
        "Ковальчук, Иванов, Смирнова, Кузнецов-Орловский",
    ),
    "Greek": (
        1,
        False,
        "Αικατερίνη, Γιώργος, Ελένη, Δημήτρης",
        "Παπαδοπούλου, Οικονόμου, Καραγιάννης",
    ),
    "Devanagari": (1, False, "अनन्या, राहुल, प्रिया, विक्रम", "शर्मा, वर्मा, गुप्ता, श्रीवास्तव"),
}
CARE_TEAMS = [
    "Hematology, Ward {n}B",
    "Oncology Day Unit",
    "Dr. Ana Sánchez and team",
    "Pediatric Oncology – floor {n}",
    "Bone Marrow Transplant Unit, Building C, Room 7{n}2",
    "Leukemia clinic",
    "Ward {n}",
    "",
]
PHONES = [
    "+1 555 010 ####",
    "(555) 01#-####",
    "555.010.#### x ###",
    "+44 20 7946 0###",
    "+49 30 ### ####",
    "+966 11 ### ####",
    "+86 10 #### ####",
    "",
]
# English and Spanish are asked for most in a US hospital; the others share the rest.
LANGUAGE_WEIGHTS = {"en": 6, "es": 3}
# A patient who reads a language mostly has a name in its script; the rest are written in
# Latin letters or in any other script (a family from elsewhere, a name as the ID reads).
OWN_SCRIPT = {
    "ar": "Arabic",
    "zh-Hans": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "ru": "Cyrillic",
    "vi": "Vietnamese",
    "hi": "Devanagari",
}
SUCCESS = "ok"


def patient_name(rng: random.Random, scripts=tuple(SCRIPTS)) -> str:
    script = rng.choices(scripts, [SCRIPTS[s][0] for s in scripts])[0]
    _, family_first, given, family = SCRIPTS[script]
    # Most names are short; now and then one with every given and family name, cut to
    # at most 50 characters by whole names.
    cjk = script in ("Chinese", "Japanese", "Korean")  # one family and one given name
    parts = rng.sample(given.split(", "), 1 if cjk else rng.choice((1, 1, 1, 2, 3)))
    surnames = rng.sample(family.split(", "), 1 if cjk else rng.choice((1, 1, 2)))
    gap = "" if script in ("Chinese", "Korean") else " "
    while len(gap.join(parts + surnames)) > 50:
        (parts if len(parts) > 1 else surnames).pop()
    return gap.join(surnames + parts if family_first else parts + surnames)


def digits(rng: random.Random, template: str) -> str:
    return "".join(str(rng.randrange(10)) if ch == "#" else ch for ch in template)


def personalization(rng: random.Random, scripts=tuple(SCRIPTS)) -> dict:
    details = {
        "patient_name": patient_name(rng, scripts),
        "care_team": rng.choice(CARE_TEAMS).format(n=rng.randrange(1, 10)),
        "phone": digits(rng, rng.choice(PHONES)),
    }
    if rng.random() < 0.8:
        start = dt.date(2025, 6, 1) + dt.timedelta(days=rng.randrange(540))
        details["start_date"] = start.isoformat()
    return details


class Mix:
    """The requests of a run, drawn from a catalogue with a seeded random generator."""

    def __init__(self, catalog: dict, languages: list[str], plain_options: bool = False):
        self.plain_options = plain_options
        self.drugs = {
            d["id"]: [
                lang["tag"]
                for lang in d["languages"]
                if lang["complete"] and (not languages or lang["tag"] in languages)
            ]
            for d in catalog["drugs"]
        }
        self.stocks = catalog["stocks"]
        self.languages = sorted({t for langs in self.drugs.values() for t in langs})
        self.label = (
            f"realistic mix ({len(self.drugs)} drugs, {len(self.languages)} languages, "
            f"names in {len(SCRIPTS)} scripts"
            + (", one paper and stock)" if plain_options else ", papers, stocks, large print)")
        )
        self.best_label = f"best case ({sorted(self.drugs)[0]}, en, handout + card, Latin names)"

    def realistic(self, rng: random.Random) -> dict:
        drug = rng.choice(sorted(self.drugs))
        langs = self.drugs[drug]
        body = {
            "drug": drug,
            "lang": rng.choices(langs, [LANGUAGE_WEIGHTS.get(t, 1) for t in langs])[0],
            "kinds": rng.choices([["handout"], ["card"], ["handout", "card"]], [7, 4, 9])[0],
        }
        if not self.plain_options:
            # A ward prints on its own paper and card stock, now and then on another.
            body["paper"] = rng.choices(["letter", "a4"], [9, 1])[0]
            body["stock"] = "us-business" if rng.random() < 0.8 else rng.choice(self.stocks)
            body["large_print"] = rng.random() < 0.1
        if rng.random() < 0.85:  # some nurses print without writing anything in
            draw = rng.random()
            own = OWN_SCRIPT.get(body["lang"], "Latin")
            script = own if draw < 0.7 else "Latin" if draw < 0.9 else rng.choice(list(SCRIPTS))
            body["personalization"] = personalization(rng, (script,))
        return body

    def best_case(self, rng: random.Random) -> dict:
        return {
            "drug": sorted(self.drugs)[0],
            "lang": "en",
            "kinds": ["handout", "card"],
            "personalization": personalization(rng, ("Latin",)),
        }

    def warm_up(self) -> list[dict]:
        """Every drug in every language once, handout and card."""
        rng = random.Random(0)
        return [
            {"drug": d, "lang": t, "kinds": ["handout", "card"], "personalization": p}
            for d, langs in sorted(self.drugs.items())
            for t in langs
            for p in [personalization(rng)]
        ]


@dataclass
class Result:
    start: float
    end: float
    outcome: str  # SUCCESS, "HTTP <status>", or the name of a connection error


def post(url: str, body: dict, timeout: float) -> tuple[Result, str]:
    """One request; the second value is the server's error message, if any."""
    request = urllib.request.Request(
        url + "/api/documents",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    start, message = time.monotonic(), ""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            outcome = SUCCESS if response.read().startswith(b"%PDF") else "200 not a PDF"
    except urllib.error.HTTPError as error:
        outcome, message = f"HTTP {error.code}", error.read(300).decode(errors="replace").strip()
    except urllib.error.URLError as error:  # refused, reset, timed out while connecting
        outcome = type(error.reason).__name__
    except (OSError, http.client.HTTPException) as error:  # reset or timed out later on
        outcome = type(error).__name__
    return Result(start, time.monotonic(), outcome), message


def parents() -> dict[int, int]:
    """Every process's parent, from /proc."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            found[int(stat.parent.name)] = int(stat.read_text().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return found


def tree(pid: int) -> list[int]:
    """PID and all its descendants."""
    table, found = parents(), [pid]
    for parent in found:  # grows while it is walked
        found += [child for child, of in table.items() if of == parent]
    return found


def memory_mb(pid: int | None) -> float | None:
    """Proportional set size of PID and its descendants: a page shared by n processes
    (the fonts, what the workers share with the fork server) counts 1/n in each."""
    if pid is None or not Path(f"/proc/{pid}").exists():
        return None
    total = 0
    for process in tree(pid):
        try:
            text = Path(f"/proc/{process}/smaps_rollup").read_text()
        except OSError:  # a worker replaced as it was counted
            continue
        total += sum(int(line.split()[1]) for line in text.splitlines() if line.startswith("Pss:"))
    return total / 1024


def command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def render_workers(pid: int) -> list[int]:
    """The processes the server's fork server forked: its render workers. The fork
    server and the resource tracker are the server's own children and are left alone."""
    table = parents()
    servers = [c for c, of in table.items() if of == pid and "forkserver" in command(c)]
    return [c for c, of in table.items() if of in servers]


def kill_worker(pid: int) -> str:
    workers = render_workers(pid)
    if not workers:
        return "no render worker found to kill"
    worker = workers[0]
    size = memory_mb(worker)
    os.kill(worker, signal.SIGKILL)
    return f"killed render worker pid {worker} ({size:.0f} MB, one of {len(workers)})"


@dataclass
class Run:
    label: str
    clients: int
    results: list[Result] = field(default_factory=list)
    messages: dict[str, str] = field(default_factory=dict)
    start: float = 0.0
    end: float = 0.0
    memory: tuple[float | None, float | None] = (None, None)
    peak: float | None = None  # sampled every second
    kill: tuple[float, str] | None = None  # when, and what was killed


def run(url, mix, label, clients, args, server_pid, kill_at=None) -> Run:
    """CLIENTS threads send requests one after another, for the duration or the count."""
    result = Run(label, clients)
    lock = threading.Lock()

    def client(number: int):
        # Each client its own generator: the same seed sends the same requests.
        rng = random.Random(f"{args.seed}/{label}/{clients}/{number}")
        sent = 0
        while (sent < args.requests) if args.requests else (time.monotonic() < stop):
            outcome, message = post(url, mix(rng), args.timeout)
            with lock:
                result.results.append(outcome)
                result.messages.setdefault(outcome.outcome, message)
            sent += 1

    def kill():
        result.kill = (time.monotonic(), kill_worker(server_pid))

    def sample():
        # Workers are replaced after a number of tasks, so memory swings; keep its peak.
        while not done.wait(1):
            result.peak = max(result.peak or 0, memory_mb(server_pid) or 0) or None

    memory_before = memory_mb(server_pid)
    done = threading.Event()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    timer = threading.Timer(kill_at, kill) if kill_at is not None else None
    result.start = time.monotonic()
    stop = result.start + args.duration
    for thread in threads:
        thread.start()
    if timer:
        timer.start()
    for thread in threads:
        thread.join()  # each request has a timeout: no join waits for ever
    result.end = time.monotonic()
    if timer:
        timer.cancel()
        timer.join()
        if result.kill is None:
            print(f"no render worker killed: the run ended before {kill_at} s", file=sys.stderr)
    result.memory = (memory_before, memory_mb(server_pid))
    done.set()
    sampler.join()
    return result


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def report(r: Run) -> tuple[list[str], list[str]]:
    """Plain lines and Markdown rows for one run."""
    wall = r.end - r.start
    ok = sorted(x.end - x.start for x in r.results if x.outcome == SUCCESS)
    errors = Counter(x.outcome for x in r.results if x.outcome != SUCCESS)
    p50, p95, p99 = (percentile(ok, p) * 1000 for p in (50, 95, 99))
    before, after = r.memory
    lines = [
        f"{r.label}, {r.clients} client(s), {wall:.1f} s: {len(r.results)} requests, "
        f"{len(ok)} PDFs, {sum(errors.values())} errors",
        f"  latency p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms; "
        f"{len(ok) / wall:.1f} PDFs/s",
    ]
    for outcome, count in errors.most_common():
        said = r.messages.get(outcome, "")
        lines.append(f"  error {outcome}: {count}" + (f" (first said: {said})" if said else ""))
    if before is not None and after is not None:
        memory = (
            f"{before:.0f} MB at the start, {after:.0f} MB at the end ({after / before:.2f}x), "
            f"peak {r.peak or after:.0f} MB"
        )
        lines.append(f"  memory of the server and its processes: {memory}")
    else:
        memory = "not measured (no server process found)"
    who = "1 client" if r.clients == 1 else f"{r.clients} concurrent clients"
    errors_text = ", ".join(f"{n} {o}" for o, n in errors.most_common()) or "no errors"
    rows = [
        f"| Web app, {r.label}, {who}, {len(r.results)} requests in {wall:.0f} s | "
        f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms ({len(ok) / wall:.1f} "
        f"requests/s; {errors_text}; memory {memory}) |"
    ]
    if r.kill:
        killed_at, what = r.kill
        lost = sum(
            1 for x in r.results if x.outcome != SUCCESS and killed_at <= x.end < killed_at + 10
        )
        ends = sorted(x.end for x in r.results if x.outcome == SUCCESS)
        marks = [r.start, *ends, r.end]
        gap, gap_start = max((b - a, a) for a, b in zip(marks, marks[1:], strict=False))
        steady = (
            "memory not measured"
            if before is None or after is None
            else f"memory {'within' if abs(after / before - 1) <= 0.1 else 'not within'} "
            f"10 % of the start ({(after / before - 1) * 100:+.1f} %)"
        )
        soak = (
            f"{lost} requests failed in the 10 s after the kill; longest time without a "
            f"PDF {gap:.1f} s (from {gap_start - r.start:.1f} s into the run); {steady}"
        )
        lines += [f"  {what} at {killed_at - r.start:.1f} s", f"  {soak}"]
        rows.append(
            f"| Web app, {r.label}, {who}, a render worker killed at "
            f"{killed_at - r.start:.0f} s of {wall:.0f} s | {soak} |"
        )
    return lines, rows


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    # The server imports this checkout's handouts, whatever is installed.
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    server = subprocess.Popen(
        [sys.executable, "-m", "handouts", "serve", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": path},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return server, f"http://127.0.0.1:{port}"


def stop_server(server: subprocess.Popen) -> None:
    """Stop the server; then any of its processes that outlived it (a broken pool's)."""
    processes = tree(server.pid)[1:]
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in processes):
        time.sleep(0.1)
    for process in processes:
        try:
            os.kill(process, signal.SIGKILL)
        except ProcessLookupError:
            pass


def catalog(url: str, server: subprocess.Popen | None) -> dict:
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(url + "/api/catalog", timeout=5) as response:
                return json.load(response)
        except OSError:
            if server and server.poll() is not None:
                sys.exit(f"handouts serve exited with status {server.returncode}")
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def listening_pid(url: str) -> int | None:
    """The `handouts serve` process of this user listening on URL's port, if any."""
    port = str(urllib.parse.urlsplit(url).port)
    for pid in parents():
        words = command(pid).split()
        if "serve" in words and port in words:
            return pid
    return None


def warm(url: str, bodies: list[dict], timeout: float) -> None:
    """Send the warm-up requests from as many threads as there are CPUs."""
    queue = list(bodies)
    lock = threading.Lock()

    def client():
        while True:
            with lock:
                if not queue:
                    return
                body = queue.pop()
            post(url, body, timeout)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(os.cpu_count() or 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[4])
    parser.add_argument("--duration", type=float, default=60, help="seconds a run lasts")
    parser.add_argument("--requests", type=int, help="requests each client sends instead")
    parser.add_argument("--seed", default="1")
    parser.add_argument("--timeout", type=float, default=30, help="per request, seconds")
    parser.add_argument("--best-case", action="store_true")
    parser.add_argument("--kill-worker-at", type=float, metavar="SECONDS")
    parser.add_argument("--url", help="a running server to load instead of starting one")
    parser.add_argument(
        "--languages",
        default="en,es,ar,zh-Hans,ru,vi",
        help="the languages a ward prints in (comma-separated; 'all': the catalogue's)",
    )
    parser.add_argument(
        "--plain-options",
        action="store_true",
        help="every request on Letter paper and US business cards, never large print",
    )
    parser.add_argument(
        "--warm-up",
        type=float,
        default=20,
        help="seconds of the realistic mix before measuring (memory is compared with "
        "what it is after them)",
    )
    args = parser.parse_args()

    server, url = (None, args.url.rstrip("/")) if args.url else start_server()
    try:
        pid = server.pid if server else listening_pid(url)
        if args.kill_worker_at is not None and pid is None:
            sys.exit("--kill-worker-at: no process of yours listens at " + url)
        languages = [] if args.languages == "all" else args.languages.split(",")
        mix = Mix(catalog(url, server), languages, args.plain_options)
        warm(url, mix.warm_up(), args.timeout)
        if args.warm_up:  # the kept layouts fill up, as in a ward's first minutes
            run(
                url,
                mix.realistic,
                "warm-up",
                4,
                argparse.Namespace(**{**vars(args), "duration": args.warm_up, "requests": None}),
                pid,
            )
        runs = []
        for i, clients in enumerate(args.clients):
            if args.best_case:
                runs.append(run(url, mix.best_case, mix.best_label, clients, args, pid))
            kill_at = args.kill_worker_at if i == len(args.clients) - 1 else None
            runs.append(run(url, mix.realistic, mix.label, clients, args, pid, kill_at))
    finally:
        if server:
            stop_server(server)
    rows = []
    for r in runs:
        lines, more = report(r)
        print("\n".join(lines))
        rows += more
    print(f"\nlanguages: {', '.join(mix.languages)}; seed {args.seed}\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
