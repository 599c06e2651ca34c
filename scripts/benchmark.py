"""Benchmark: how fast the sample catalogue builds, against two other ways to make the
same PDFs. Prints one Markdown table, all figures from this one run.

    .venv/bin/python scripts/benchmark.py [--renders 500] [--rounds 3]

Measured:
- cold full build of the catalogue (`handouts build --all`, a fresh output folder), taking
  turns with (a) and (b) below for a few rounds; right after each, builds with nothing to
  do (compared with the cold build of the same round); then the rebuild after one drug's
  English changed;
- warm render time per document in one long-lived pipeline;
- memory of one worker across many renders (peak, and growth after warm-up);
- the same documents made (a) by the `weasyprint` command line, once per document, and
  (b) by warm headless Chromium through Playwright's page.pdf(), as many browsers printing
  at once as the build has workers (one for each CPU), each taking the next document from
  a shared list; and, for scale, one browser printing one document at a time.

(b) needs Debian's chromium (/usr/bin/chromium) and the playwright package; without them
that row says so.
"""

import argparse
import asyncio
import multiprocessing
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handouts.compose import Job, compose  # noqa: E402
from handouts.content import load_all  # noqa: E402
from handouts.documents import KINDS  # noqa: E402
from handouts.languages import LANGUAGES  # noqa: E402
from handouts.locations import CONTENT_DIR, TEMPLATES_DIR  # noqa: E402
from handouts.packet import packet_jobs  # noqa: E402
from handouts.pdf import print_stylesheet  # noqa: E402
from handouts.pipeline import Pipeline  # noqa: E402
from handouts.render_html import render_html  # noqa: E402
from tests.chromium import CHROMIUM  # noqa: E402
from tests.chromium import LAUNCH_ARGS as CHROMIUM_ARGS  # noqa: E402

# The build's workers, and as many Chromium browsers printing at once: like for like.
WORKERS = os.cpu_count() or 1


def timed(command: list[str], **kwargs) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, **kwargs)
    return time.perf_counter() - start


def cli(*args) -> list[str]:
    return [sys.executable, "-m", "handouts", *map(str, args)]


def build_all(content: Path, out: Path) -> float:
    """Seconds for `handouts build --all` of CONTENT into OUT."""
    command = cli("build", "--all", "--jobs", WORKERS, "--content", content, "--out", out)
    return timed(command, cwd=ROOT)


def cold_build(content: Path, out: Path) -> tuple[float, int]:
    shutil.rmtree(out, ignore_errors=True)
    seconds = build_all(content, out)
    return seconds, len(list(out.rglob("*.pdf")))


def no_change_build(content: Path, out: Path, repeat: int = 3) -> float:
    """The median of a few builds with nothing to do, run right after a cold build."""
    return statistics.median(build_all(content, out) for _ in range(repeat))


def one_drug_build(content: Path, out: Path) -> float:
    drug = content / "blinatumomab" / "drug.yaml"
    text = drug.read_text()
    changed = re.sub(r"^last_reviewed: .*$", "last_reviewed: 2000-01-01", text, flags=re.M)
    assert changed != text, "the benchmark's edit of drug.yaml changed nothing"
    drug.write_text(changed)
    return build_all(content, out)


def all_jobs() -> list[Job]:
    return [
        Job(d, lang, kind) for d in load_all(CONTENT_DIR) for lang in LANGUAGES for kind in KINDS
    ]


def warm_renders(repeat: int = 15) -> dict:
    pipeline = Pipeline()
    drugs = load_all(CONTENT_DIR)
    drug = drugs[0]
    cases = {
        "English handout": [Job(drug, "en", "handout")],
        "Arabic handout": [Job(drug, "ar", "handout")],
        "Chinese handout": [Job(drug, "zh-Hans", "handout")],
        "card": [Job(drug, "en", "card")],
        "card sheet (10 cards)": [Job(drug, "en", "card-sheet")],
        # Laid out whole each time (not the web server's kept documents).
        "Spanish discharge packet (2 medicines: list page, 2 handouts, one card)": packet_jobs(
            drugs, "es"
        ),
    }
    results = {}
    for name, jobs in cases.items():
        pipeline.render_together(jobs)  # warm: fonts, templates
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            pipeline.render_together(jobs)
            times.append(time.perf_counter() - start)
        results[name] = statistics.median(times)
    return results


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _memory_worker(renders: int, queue) -> None:
    # A render worker as the pool makes it: set up by handouts.warm, rendering through
    # render_job (which also collects garbage between documents).
    import handouts.warm  # noqa: F401
    from handouts.batch import render_job

    jobs = all_jobs()
    samples = []
    for i in range(renders):
        render_job(jobs[i % len(jobs)], ())
        samples.append(_rss_mb())
    queue.put(samples)


def worker_memory(renders: int) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_memory_worker, args=(renders, queue))
    process.start()
    samples = queue.get()
    process.join()
    warm = samples[min(len(samples) - 1, len(all_jobs()))]  # after one pass of the catalogue
    return {
        "renders": renders,
        "warm": warm,
        "peak": max(samples),
        "last": samples[-1],
        "growth": (samples[-1] - warm) / warm,
    }


def write_html(work: Path) -> list[tuple[Job, Path, str]]:
    """Each document's finished HTML, with its page CSS inline, next to the templates."""
    site = work / "site"
    shutil.copytree(TEMPLATES_DIR, site / "templates", ignore=shutil.ignore_patterns("locale"))
    shutil.copytree(TEMPLATES_DIR.parent / "fonts", site / "fonts")
    # The stylesheet as the renderer uses it: with the font rules of the language registry.
    (site / "templates" / "print.css").write_text(print_stylesheet())
    pipeline = Pipeline()
    documents = []
    for job in all_jobs():
        composed = compose(job)
        html, _ = render_html(pipeline.environments, composed)
        head = (
            '<link rel="stylesheet" href="print.css">'
            f"<style>{composed.geometry.page_css}</style></head>"
        )
        path = site / "templates" / f"{job.drug.id}-{job.lang}-{job.kind}.html"
        path.write_text(html.replace("</head>", head, 1))
        documents.append((job, path, composed.geometry.page_css))
    return documents


def weasyprint_cli(documents, work: Path) -> float:
    out = work / "cli"
    out.mkdir(exist_ok=True)
    env = {**os.environ}  # the same locked fontconfig as handouts uses
    from handouts.fontlock import lock_fonts

    env["FONTCONFIG_FILE"] = str(lock_fonts())
    start = time.perf_counter()
    for job, path, _ in documents:
        # The same output as handouts: handouts PDF/UA-1, cards tagged.
        variant = ["--pdf-variant", "pdf/ua-1"] if job.kind == "handout" else ["--pdf-tags"]
        subprocess.run(
            [
                sys.executable,
                "-m",
                "weasyprint",
                *variant,
                str(path),
                str(out / (path.stem + ".pdf")),
            ],
            check=True,
            capture_output=True,
            env=env,
        )
    return time.perf_counter() - start


def chromium(documents, work: Path, browsers: int) -> float | str:
    """Seconds for BROWSERS warm headless Chromiums to print DOCUMENTS between them."""
    if not Path(CHROMIUM).exists():
        return "not measured: /usr/bin/chromium is not installed"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "not measured: the playwright package is not installed"
    out = work / "chromium"
    out.mkdir(exist_ok=True)
    return asyncio.run(_print_in_chromium([path for _, path, _ in documents], out, browsers))


async def _print_in_chromium(paths: list[Path], out: Path, browsers: int) -> float:
    from playwright.async_api import async_playwright

    async def print_pdf(page, path: Path) -> bytes:
        await page.goto(path.as_uri())
        return await page.pdf(prefer_css_page_size=True)

    async def take_turns(page) -> None:
        # One event loop: popping from the shared list needs no lock.
        while queue:
            path = queue.pop()
            (out / (path.stem + ".pdf")).write_bytes(await print_pdf(page, path))

    async with async_playwright() as playwright:
        # Separate browsers, each with its own processes, as the build has separate workers.
        opened = [
            await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for _ in range(browsers)
        ]
        pages = [await browser.new_page() for browser in opened]
        for page in pages:  # warm every browser
            await print_pdf(page, paths[0])
        queue = paths[::-1]  # popped from the end: in the build's order
        start = time.perf_counter()
        await asyncio.gather(*(take_turns(page) for page in pages))
        elapsed = time.perf_counter() - start
        for browser in opened:
            await browser.close()
    return elapsed


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {memory:.0f} GiB, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        content = work / "content"
        shutil.copytree(CONTENT_DIR, content)
        documents = write_html(work)
        # The three ways of making the catalogue take turns, round after round, so that a
        # shared machine's changing speed falls on all of them alike; medians are reported.
        # Each cold build is followed at once by builds with nothing to do, and the two
        # are compared within the round, for the same reason.
        cold, unchanged, cli_runs, chrome_runs, chrome_one = [], [], [], [], []
        for _ in range(args.rounds):
            seconds, n = cold_build(content, work / "dist")
            cold.append(seconds)
            unchanged.append(no_change_build(content, work / "dist"))
            cli_runs.append(weasyprint_cli(documents, work))
            chrome_runs.append(chromium(documents, work, WORKERS))
            chrome_one.append(chromium(documents, work, 1))
        one_drug = one_drug_build(content, work / "dist")
        warm = warm_renders()
        memory = worker_memory(args.renders)
    cold_s, cli_s = statistics.median(cold), statistics.median(cli_runs)
    spread = f"rounds {min(cold):.1f}-{max(cold):.1f} s"
    ratios = [c / u for c, u in zip(cold, unchanged, strict=True)]
    rows = [
        (
            f"Cold full build, `handouts build --all` ({WORKERS} workers), median of {args.rounds}",
            f"{cold_s:.1f} s for {n} documents ({n / cold_s:.1f} documents/s; {spread})",
        ),
        (
            f"No-change rebuild, 3 after each cold build, median of {args.rounds} rounds",
            f"{statistics.median(unchanged):.2f} s ({statistics.median(ratios):.0f}x faster than "
            f"the cold build of its round; rounds {min(ratios):.0f}x-{max(ratios):.0f}x)",
        ),
        ("Rebuild after one drug's English changed", f"{one_drug:.1f} s"),
    ]
    rows += [(f"Warm render, {name}", f"{seconds * 1000:.0f} ms") for name, seconds in warm.items()]
    rows.append(
        (
            f"Worker memory over {memory['renders']} renders",
            f"{memory['warm']:.0f} MB after one pass, peak {memory['peak']:.0f} MB, "
            f"{memory['growth'] * 100:+.1f} % by the last render",
        )
    )
    rows.append(
        (
            f"(a) `weasyprint` command line, once per document ({len(documents)}), "
            f"median of {args.rounds}",
            f"{cli_s:.1f} s ({len(documents) / cli_s:.2f} documents/s; rounds "
            f"{min(cli_runs):.1f}-{max(cli_runs):.1f} s); handouts is "
            f"{cli_s / cold_s:.1f}x faster",
        )
    )
    if isinstance(chrome_runs[0], str):
        rows.append(("(b) warm headless Chromium, Playwright page.pdf()", chrome_runs[0]))
    else:
        chrome, one = statistics.median(chrome_runs), statistics.median(chrome_one)
        rows += [
            (
                f"(b) warm headless Chromium, Playwright page.pdf(), {WORKERS} browsers "
                f"printing at once (as many as the build's workers), median of {args.rounds}",
                f"{chrome:.1f} s ({len(documents) / chrome:.1f} documents/s; rounds "
                f"{min(chrome_runs):.1f}-{max(chrome_runs):.1f} s); handouts runs at "
                f"{chrome / cold_s:.2f}x its speed",
            ),
            (
                f"(b') the same, one browser printing one document at a time, median of "
                f"{args.rounds}",
                f"{one:.1f} s ({len(documents) / one:.1f} documents/s; {one / chrome:.2f}x "
                f"the time of {WORKERS} at once)",
            ),
        ]
    print(f"Machine: {machine()}\n")
    print("| measure | result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
