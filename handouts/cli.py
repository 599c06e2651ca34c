"""The command line: a thin layer that parses options and calls the pipeline."""

import contextlib
import os
import signal
import sys
from pathlib import Path

import click

from . import __version__
from .documents import ALL_KINDS, KINDS, PAPERS
from .errors import CatalogError, ContentError, HandoutsError
from .languages import LANGUAGES, native_name, tags
from .locations import (
    CLINIC_VARIABLE,
    CONTENT_DIR,
    available_languages,
    discover,
    display_path,
    plural,
    untranslated_languages,
)
from .stocks import STOCKS

# Heavier modules (pydantic, Babel, Jinja, WeasyPrint) are imported inside the commands
# that need them, so that a no-change rebuild answers in a fraction of a second.

clinic_option = click.option(
    "--clinic",
    "clinic_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Clinic settings (clinic.yaml); default $HANDOUTS_CLINIC, else none.",
)
templates_option = click.option(
    "--templates",
    "template_options",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar="DIR",
    help="A folder of your own templates, searched before the clinic's templates: folder "
    "and the bundled templates; repeat for several (the first one given wins).",
)
stock_option = click.option(
    "--stock",
    type=click.Choice(sorted(STOCKS)),
    help="Card stock. Default: the clinic's, else us-business.",
)
content_option = click.option(
    "--content",
    "content_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=CONTENT_DIR,
    show_default="the bundled samples",
    help="Folder holding <drug>/drug.yaml files.",
)
drugs_argument = click.argument("drugs", nargs=-1, metavar="[DRUG]...")
out_file_option = click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The PDF to write.",
)
langs_option = click.option(
    "--lang",
    "langs",
    multiple=True,
    metavar="LANG",
    help="Language tag; repeat for several. Default: every available language.",
)
jobs_option = click.option(
    "--jobs",
    "-j",
    "workers",
    type=click.IntRange(1, 256),
    help="Worker processes. Default: the number of CPUs.",
)
allow_fallback_option = click.option(
    "--allow-fallback",
    is_flag=True,
    help="Print (and publish) non-critical strings whose translation is missing or stale "
    "in English, marked as such. Critical strings never fall back.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="handouts")
@click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
def cli(debug):
    """Print patient drug handouts and wallet warning cards as PDF."""


code_option = click.option(
    "--code",
    "codes",
    multiple=True,
    metavar="SYSTEM:CODE",
    help="The drug an EHR's code names: rxnorm:RXCUI or ndc:NDC (any label form, "
    "55513-160-01 or 55513-0160-01), or atc:CODE; repeat for several.",
)


@cli.command()
@drugs_argument
@click.option("--all", "all_drugs", is_flag=True, help="Every drug in the content folder.")
@code_option
@langs_option
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(ALL_KINDS),
    help="Document kind; repeat for several. Default: handout and card.",
)
@click.option(
    "--paper",
    type=click.Choice(sorted(PAPERS)),
    help="Paper for handouts and card sheets. Default: the clinic's, else letter.",
)
@stock_option
@click.option(
    "--count",
    type=click.IntRange(1, 10),
    default=None,
    help="Cards on each card sheet. Default: a full sheet.",
)
@click.option("--large-print", is_flag=True, help="Handouts with 18 pt text (more pages).")
@click.option("--pdfa", is_flag=True, help="Write PDF/A-3u archival copies.")
@allow_fallback_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dist"),
    show_default=True,
    help="Output folder.",
)
@jobs_option
@click.option(
    "--executor",
    "executor_spec",
    metavar="local|dask://HOST:PORT",
    help="Where documents are rendered: a local process pool (default) or a Dask "
    "distributed cluster.",
)
@click.option("--force", is_flag=True, help="Rebuild documents whose inputs did not change.")
@click.option(
    "--site",
    is_flag=True,
    help="Also write the web edition (OUT/index.html, OUT/<drug>/<lang>/index.html) "
    "beside the documents: a clinic's release, print and web from one run.",
)
@clinic_option
@templates_option
@content_option
def build(
    drugs,
    all_drugs,
    codes,
    langs,
    kinds,
    paper,
    stock,
    count,
    large_print,
    pdfa,
    allow_fallback,
    out_dir,
    workers,
    executor_spec,
    force,
    site,
    clinic_path,
    template_options,
    content_dir,
):
    """Build handouts and cards into OUT/<drug>/<lang>/<kind>.pdf and OUT/manifest.json.

    Documents whose inputs have not changed since the last build are skipped.
    """
    from .clinic_templates import check_templates, template_folders
    from .uptodate import DocumentKey, DrugRef

    selected = _select_drugs(drugs + _drugs_by_code(codes, content_dir), all_drugs, content_dir)
    _unregistered(content_dir)
    langs = _check_langs(langs)
    if not force and not (clinic_path or os.environ.get(CLINIC_VARIABLE)):
        # Fast path: when every document is current, no content needs loading at all.
        keys = [
            DocumentKey(
                DrugRef(drug_id, path),
                lang,
                kind,
                paper or "letter",
                stock or "us-business",
                large_print,
                pdfa,
                count or 0,
                allow_fallback,
            )
            for drug_id, path in discover(content_dir).items()
            if selected is None or drug_id in selected
            for lang in (langs or available_languages(path.parent))
            for kind in (kinds or KINDS)
        ]
        if _all_unchanged(keys, out_dir, template_folders(template_options, None)):
            if not langs:
                for drug_id, path in discover(content_dir).items():
                    if selected is None or drug_id in selected:
                        _skipped_note(drug_id, path.parent)
            click.echo(
                f"{plural(len(keys), 'document')}: 0 built, {len(keys)} unchanged, "
                f"0 failed; manifest: {display_path(out_dir / 'manifest.json')}"
            )
            if site:
                folders = template_folders(template_options, None)
                _publish(
                    out_dir,
                    content_dir,
                    (selected, langs, paper, stock),
                    None,
                    folders,
                    allow_fallback,
                )
            return

    from .batch import make_executor, run_batch
    from .scratch import use_private_temp

    use_private_temp()
    # Started first: the workers warm up while this process imports and loads the content.
    executor = make_executor(executor_spec, workers)
    try:
        from .compose import Job
        from .content import load_each

        clinic = _clinic(clinic_path)
        template_dirs = template_folders(template_options, clinic)
        check_templates(template_dirs)
        paper, stock = _paper_and_stock(paper, stock, clinic)
        # A drug whose content is broken is reported; the other drugs are still built.
        loaded, broken = load_each(content_dir, selected)
        if broken and not loaded:
            raise ContentError(broken)
        for problem in broken:
            click.echo(str(problem), err=True)
        if not langs:
            for drug in loaded:
                _skipped_note(drug.id, drug.path.parent)
        jobs = [
            Job(
                drug,
                lang,
                kind,
                paper,
                allow_fallback,
                stock,
                large_print,
                pdfa,
                count or 0,
                clinic,
            )
            for drug in loaded
            for lang in (langs or available_languages(drug.path.parent))
            for kind in (kinds or KINDS)
        ]
        jobs, broken_catalogs = _without_broken_catalogs(jobs)
        if broken_catalogs and not jobs and not broken:
            raise CatalogError(broken_catalogs)
        for problem in broken_catalogs:
            click.echo(str(problem), err=True)
        # --debug: a document that fails by a bug reports its traceback under FAILED.
        debug = click.get_current_context().find_root().params.get("debug", False)
        with _progress(len(jobs)) as show:
            report = run_batch(
                jobs,
                out_dir,
                executor,
                force=force,
                template_dirs=template_dirs,
                debug=debug,
                on_outcome=show,
            )
    finally:
        # Wait for the workers to leave: an exit with the pool still open can raise at
        # interpreter shutdown (a closed wake-up pipe in concurrent.futures).
        executor.shutdown(wait=True, cancel_futures=True)
    if report.recovered:
        click.echo(f"Note: {report.recovered}", err=True)
    for outcome in report.failed:
        click.echo(
            f"FAILED {outcome.job.name}:\n  " + outcome.message.replace("\n", "\n  "), err=True
        )
    for outcome in report.outcomes:
        for note in outcome.notes:
            click.echo(f"Warning: {note}", err=True)
    click.echo(
        f"{plural(len(report.outcomes), 'document')}: {report.count('built')} built, "
        f"{report.count('unchanged')} unchanged, {report.count('failed')} failed"
        + (
            f"; manifest: {display_path(out_dir / 'manifest.json')}"
            if (out_dir / "manifest.json").exists()
            else ""
        )
    )
    if report.write_error:
        raise HandoutsError(report.write_error)
    if site and not report.interrupted:
        # Written even when some documents failed: a page links only to the PDFs there are.
        built = (selected, langs, paper, stock)
        _publish(out_dir, content_dir, built, clinic, template_dirs, allow_fallback)
    if report.interrupted:
        raise HandoutsError(
            "interrupted; the finished documents are complete and in the "
            "manifest, run the same command again to build the rest"
        )
    if report.failed or broken or broken_catalogs:
        drugs_failed = len({p.file for p in broken})
        catalogs_failed = len({p.file for p in broken_catalogs})
        raise HandoutsError(
            ", ".join(
                part
                for part in (
                    f"{plural(len(report.failed), 'document')} not built" if report.failed else "",
                    f"{plural(drugs_failed, 'drug')} with broken content" if broken else "",
                    f"{plural(catalogs_failed, 'translation catalogue')} with broken entries "
                    "(their languages were not built)"
                    if broken_catalogs
                    else "",
                )
                if part
            )
            + "; see above"
        )


@cli.command()
@drugs_argument
@langs_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dist/site"),
    show_default=True,
    help="The site's folder: copy it to any web server (README: 'The web edition').",
)
@allow_fallback_option
@jobs_option
@clinic_option
@templates_option
@content_option
@click.pass_context
def site(
    ctx, drugs, langs, out_dir, allow_fallback, workers, clinic_path, template_options, content_dir
):
    """Write the web edition: OUT/index.html, and for each drug and language
    OUT/<drug>/<lang>/index.html with one page per content version, beside the handout
    and card PDFs they offer (built as `build` builds them).

    With qr_base_url in the clinic settings, the printed QR codes open these pages: host
    OUT at that address. Pages whose bytes did not change are not written again.
    """
    from .site import SITE_KINDS

    ctx.invoke(
        build,
        drugs=drugs,
        all_drugs=not drugs,
        langs=langs,
        kinds=SITE_KINDS,
        allow_fallback=allow_fallback,
        out_dir=out_dir,
        workers=workers,
        site=True,
        clinic_path=clinic_path,
        template_options=template_options,
        content_dir=content_dir,
    )


def _publish(out_dir, content_dir, built, clinic, template_dirs, allow_fallback) -> None:
    """The web edition of what was just built, written into its folder. built: the
    drugs (None: all), languages, paper and stock of the build. The index and the language
    lists are of every drug in the content (a broken one, reported already, is left out)."""
    from .content import load_each
    from .outfolder import open_output, write_failed
    from .site import Site, built_documents, documents_of, write_site

    selected, langs, paper, stock = built
    drugs, _ = load_each(content_dir)
    # The folder held, so that no build writes into it meanwhile.
    with open_output(out_dir) as folder:
        offered = built_documents(documents_of(clinic, paper, stock), folder.entries)
        site = Site(drugs, clinic, template_dirs, allow_fallback, langs, offered, selected)
        try:
            result = write_site(site, out_dir)
        except OSError as error:
            done = (
                "the documents are written; of the web edition, each page is there whole "
                "or not at all"
            )
            raise write_failed(out_dir, error, done=done) from None
    for drug in drugs:
        for lang in site.written(drug):
            edition = site.edition(drug, lang)
            if edition.localized is None:
                click.echo(
                    f"Note: web edition: {drug.id} [{lang}] not published: {edition.blocked}; "
                    "its page points to English",
                    err=True,
                )
    if not (clinic and clinic.clinic.qr_base_url):
        click.echo(
            "Note: the clinic settings have no qr_base_url, so the printed QR codes open "
            "each drug's full_info_url, not these pages; set it to the address the folder "
            "is published at",
            err=True,
        )
    click.echo(
        f"web edition: {plural(result.written + result.unchanged, 'page')}: "
        f"{result.written} written, {result.unchanged} unchanged; "
        f"open {display_path(out_dir / 'index.html')}"
    )


def _all_unchanged(keys: list, out_dir: Path, template_dirs: tuple[Path, ...]) -> bool:
    """The fast path's question, asked of the output folder taken and recovered like a
    build takes it (a folder that does not exist yet holds nothing unchanged)."""
    from .outfolder import open_output
    from .uptodate import all_unchanged

    if not out_dir.is_dir():
        return False
    with open_output(out_dir) as folder:
        if folder.recovered:
            click.echo(f"Note: {folder.recovered}", err=True)
        return all_unchanged(keys, out_dir, template_dirs)


def _without_broken_catalogs(jobs: list) -> tuple[list, list]:
    """The jobs whose catalogues are sound, and each broken entry once (a template
    catalogue is read by every drug's documents in its language)."""
    from .localize import catalog_problems

    problems: dict = {}
    for job in jobs:
        if (job.drug.id, job.lang) not in problems:
            problems[(job.drug.id, job.lang)] = catalog_problems(job.drug, job.lang)
    kept = [job for job in jobs if not problems[(job.drug.id, job.lang)]]
    return kept, sorted({p for found in problems.values() for p in found})


@contextlib.contextmanager
def _progress(total: int):
    """A progress bar on a terminal; plain lines otherwise (CI logs, pipes)."""
    if sys.stderr.isatty():
        with click.progressbar(length=total, label="Building", file=sys.stderr) as bar:
            yield lambda outcome: bar.update(1)
    else:
        done = [0]

        def line(outcome):
            done[0] += 1
            click.echo(f"[{done[0]}/{total}] {outcome.status} {outcome.path}")

        yield line


@cli.command()
@drugs_argument
@click.option(
    "--strict", is_flag=True, help="Also exit 1 when any translation is stale or missing."
)
@content_option
def check(drugs, strict, content_dir):
    """Validate content, templates and translations; exit 1 with the findings."""
    from .batch import make_executor
    from .checks import check_all
    from .content import load_all
    from .scratch import use_private_temp

    selected = _select_drugs(drugs, True, content_dir)
    _unregistered(content_dir)
    # The documents are laid out (never written) on build's warm workers.
    use_private_temp()
    executor = make_executor("local", None)
    try:
        report = check_all(load_all(content_dir, selected), executor)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    for line in report.lines:
        click.echo(line)
    for finding in report.findings:
        click.echo(str(finding), err=True)
    for note in report.notes:
        click.echo(f"Warning: {note}", err=True)
    errors = sum(finding.level == "error" for finding in report.findings)
    warnings = len(report.findings) - errors
    failures = list(report.problems)
    if errors:
        failures.append(
            f"{plural(errors, 'lint error')} in the content (listed above); "
            "see docs/content-format.md"
        )
    if failures:
        raise HandoutsError("\n".join(failures))
    if strict and report.incomplete:
        raise HandoutsError(
            f"{plural(report.incomplete, 'translation')} with stale or missing strings (--strict)"
        )
    incomplete = (
        f"; {plural(report.incomplete, 'translation')} incomplete (--strict fails on this)"
        if report.incomplete
        else ""
    )
    warned = f"; {plural(warnings, 'lint warning')} (listed above)" if warnings else ""
    click.echo(
        f"{plural(len(report.drugs), 'drug')} checked; no problems found{warned}{incomplete}"
    )


@cli.command()
@drugs_argument
@code_option
@click.option(
    "--lang", default="en", show_default=True, metavar="LANG", help="The patient's language."
)
@click.option(
    "--paper",
    type=click.Choice(sorted(PAPERS)),
    help="Paper for the list page and handouts. Default: the clinic's, else letter.",
)
@stock_option
@click.option("--large-print", is_flag=True, help="List page and handouts with 18 pt text.")
@out_file_option
@clinic_option
@templates_option
@content_option
def packet(
    drugs,
    codes,
    lang,
    paper,
    stock,
    large_print,
    out_file,
    clinic_path,
    template_options,
    content_dir,
):
    """Print a discharge packet: one PDF for all of a patient's medicines.

    A list page (each medicine's names, what it treats, the care team), each medicine's
    handout, then the wallet card: one naming every medicine with its most important
    warning, or one for each medicine when they do not all fit on one.

    Example: handouts packet blinatumomab inotuzumab-ozogamicin --lang es --out packet.pdf
    """
    from .clinic_templates import check_templates, template_folders
    from .content import load_all
    from .output import write_atomic
    from .packet import MAX_MEDICINES, packet_jobs
    from .pipeline import Pipeline

    if not drugs and not codes:
        raise click.UsageError("name the patient's medicines: DRUG... or --code SYSTEM:CODE")
    selected = _select_drugs(drugs + _drugs_by_code(codes, content_dir), False, content_dir)
    assert selected is not None  # named drugs, never --all
    if len(selected) > MAX_MEDICINES:
        raise click.BadParameter(
            f"{len(selected)} medicines; a packet holds at most {MAX_MEDICINES}: make two",
            param_hint="DRUG",
        )
    (lang,) = _check_langs([lang])
    loaded = {d.id: d for d in load_all(content_dir, selected)}
    missing = [d for d in selected if lang not in available_languages(loaded[d].path.parent)]
    if missing:
        raise click.BadParameter(
            f"{', '.join(missing)} has no {lang} translation; `handouts list` shows each "
            "drug's languages",
            param_hint="--lang",
        )
    clinic = _clinic(clinic_path)
    template_dirs = template_folders(template_options, clinic)
    check_templates(template_dirs)
    jobs = packet_jobs(
        [loaded[d] for d in selected],
        lang,
        *_paper_and_stock(paper, stock, clinic),
        large_print,
        clinic,
    )
    rendered = Pipeline(list(template_dirs)).render_together(jobs)
    write_atomic(out_file, rendered.pdf)
    for note in rendered.notes:
        click.echo(f"Warning: {note}", err=True)
    click.echo(
        f"built {display_path(out_file)}: {plural(len(selected), 'medicine')}, "
        f"{plural(rendered.pages, 'page')}"
    )


@cli.command()
@click.argument("cards", nargs=-1, required=True, metavar="DRUG:LANG[:COUNT]...")
@stock_option
@click.option(
    "--paper",
    type=click.Choice(sorted(PAPERS)),
    help="Sheet paper where the stock has several. Default: the clinic's.",
)
@out_file_option
@clinic_option
@templates_option
@content_option
def sheet(cards, stock, paper, out_file, clinic_path, template_options, content_dir):
    """Print one card sheet mixing drugs and languages (a clinic's stock run).

    Example: handouts sheet blinatumomab:en:4 blinatumomab:es:4 inotuzumab-ozogamicin:en:2
    """
    from .clinic_templates import check_templates, template_folders
    from .compose import Job
    from .content import load_all
    from .output import write_atomic
    from .pipeline import Pipeline

    wanted = [_card_spec(spec) for spec in cards]
    _select_drugs(sorted({d for d, _, _ in wanted}), False, content_dir)
    loaded = {d.id: d for d in load_all(content_dir, sorted({d for d, _, _ in wanted}))}
    slots = tuple((loaded[drug], lang) for drug, lang, count in wanted for _ in range(count))
    clinic = _clinic(clinic_path)
    template_dirs = template_folders(template_options, clinic)
    check_templates(template_dirs)
    paper, stock = _paper_and_stock(paper, stock, clinic)
    job = Job(
        slots[0][0], slots[0][1], "card-sheet", paper, stock=stock, clinic=clinic, slots=slots
    )
    rendered = Pipeline(list(template_dirs)).render(job)
    write_atomic(out_file, rendered.pdf)
    click.echo(
        f"built {display_path(out_file)}: {plural(len(slots), 'card')}, "
        f"{plural(rendered.pages, 'page')}"
    )


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Any address but loopback needs authentication (below).",
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Render processes, each with a warm pipeline. Default: the number of CPUs.",
)
@click.option(
    "--threads",
    default=16,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Request threads of the WSGI server.",
)
@click.option(
    "--queue",
    type=click.IntRange(1, 1024),
    help="Most documents waiting or being made at once; beyond it a request gets 503 "
    "with Retry-After. Default: three per worker.",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file holding a shared bearer token (32+ characters) for API clients.",
)
@click.option(
    "--trust-user-header",
    metavar="HEADER",
    help="Header in which a signing-in reverse proxy names the user (e.g. X-Forwarded-User).",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="ADDRESS",
    help="Address or network of that proxy; the header is believed only from there.",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="A host name the service is reached by (besides localhost), e.g. the proxy's.",
)
@clinic_option
@templates_option
@content_option
def serve(
    host,
    port,
    workers,
    threads,
    queue,
    token_file,
    trust_user_header,
    trusted_proxies,
    allowed_hosts,
    clinic_path,
    template_options,
    content_dir,
):
    """Run the discharge web page and the HTTP API (waitress)."""
    import threading

    from .access import make_policy
    from .batch import render_job
    from .clinic_templates import check_templates, template_folders
    from .compose import Job
    from .content import load_all
    from .render_service import RenderService
    from .scratch import use_private_temp
    from .web import create_app
    from .web import serve as run_server
    from .worker_pool import SERVER_WORKER_TASKS, LocalPool

    policy = make_policy(host, token_file, trust_user_header, trusted_proxies, allowed_hosts)
    clinic = _clinic(clinic_path)
    _site_host_answered(clinic, policy.hosts)
    template_dirs = template_folders(template_options, clinic)
    check_templates(template_dirs)
    use_private_temp()
    workers = workers or os.cpu_count() or 1
    # Always render in separate processes, even with one worker: a crash while making one
    # document (a native library, memory) must not take the server down with it.
    service = RenderService(
        lambda: LocalPool(1, tasks=SERVER_WORKER_TASKS), queue or 3 * workers, workers
    )
    try:
        app = create_app(content_dir, service, clinic, template_dirs, policy)
        probe = Job(load_all(content_dir)[0], "en", "card")
        threading.Thread(
            target=service.warm_up,
            args=(render_job, (probe, template_dirs)),
            name="handouts-warm-up",
            daemon=True,
        ).start()
        with _sigterm_exits():
            run_server(app, host, port, threads, authenticated=policy.required)
    except KeyboardInterrupt:
        pass
    finally:
        # Render workers hold each other's pipes open: left running, they would outlive
        # the server for good.
        service.shutdown()


def _site_host_answered(clinic, hosts: tuple[str, ...]) -> None:
    """A warning when the printed codes name a host this service will refuse (Host
    allow-list), so that patients' phones would get an error."""
    from urllib.parse import urlsplit

    url = clinic.clinic.qr_base_url if clinic else None
    site_host = urlsplit(url).hostname if url else None
    if site_host and site_host not in hosts:
        click.echo(
            f"Warning: the clinic's qr_base_url names the host {site_host}, which this "
            "service does not answer to; printed codes reach the web edition only if "
            f"another server publishes it there (else add --allowed-host {site_host})",
            err=True,
        )


@contextlib.contextmanager
def _sigterm_exits():
    """SIGTERM (a service manager stopping the server) ends it like Ctrl-C does."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@cli.command(name="list")
@content_option
def list_drugs(content_dir):
    """List the drugs: id, brands, codes (RxNorm, NDC, ATC) and languages."""
    from .content import load_all
    from .locations import unregistered_catalogs

    for drug in load_all(content_dir):
        click.echo(_describe(drug))
    for problem in unregistered_catalogs(content_dir):
        click.echo(f"Warning: {problem}", err=True)


@cli.group()
def i18n():
    """Keep the translation catalogues in step with the English."""


@i18n.command()
@drugs_argument
@click.option(
    "--lang",
    "langs",
    multiple=True,
    metavar="LANG",
    help="Only these languages. Default: all 15 translation languages.",
)
@click.option(
    "--templates/--no-templates",
    default=None,
    help="Also extract the template strings and update handouts' own template "
    "catalogues. Default: only for the bundled content (no --content).",
)
@content_option
def update(drugs, langs, templates, content_dir):
    """Regenerate the PO files from the English master and the templates.

    New strings arrive untranslated, changed English marks the entry fuzzy (keeping the
    old English), removed strings become obsolete. Translations are never lost.
    """
    from .add_language import clinic_template_catalog
    from .catalogs import content_catalog_path, translatable_strings, update_catalog
    from .content import load_all
    from .template_strings import extract_messages, update_template_catalogs

    selected = _select_drugs(drugs, True, content_dir)
    discover(content_dir)  # the folder's own languages, if it adds any
    langs = [lang for lang in (_check_langs(langs) or tags()) if lang != "en"]
    # The template catalogues are part of handouts (an installed package, or a checkout):
    # a clinic updating its own content folder must not rewrite them.
    own_content = content_dir.resolve() == CONTENT_DIR.resolve()
    if templates and not own_content:
        raise click.UsageError(
            "--templates updates handouts' own template catalogues; run it without "
            "--content, in a checkout of handouts"
        )
    if templates is None:
        templates = own_content
    messages = extract_messages()
    results = update_template_catalogs(langs, messages) if templates else []
    # A language the content folder adds keeps its template catalogue in that folder.
    results += [
        update_catalog(
            clinic_template_catalog(content_dir, lang),
            lang,
            messages,
            "handouts templates",
            key_by_context=False,
        )
        for lang in langs
        if lang not in LANGUAGES
    ]
    for drug in load_all(content_dir, selected):
        entries = translatable_strings(drug.drug)
        project = f"handouts {drug.id} {drug.drug.content_version}"
        results += [
            update_catalog(
                content_catalog_path(drug.path.parent, lang),
                lang,
                entries,
                project,
                key_by_context=True,
            )
            for lang in langs
        ]
    for result in results:
        what = "created" if result.created else "updated"
        click.echo(
            f"{what} {display_path(result.path)}: {result.added} new, "
            f"{result.stale} stale, {result.obsolete} obsolete"
        )


@i18n.command(name="add-language")
@click.argument("tag")
@click.option(
    "--content",
    "content_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The clinic's content folder: the language and its catalogues are added there.",
)
def add_language_command(tag, content_dir):
    """Add a language (a BCP 47 TAG such as he, am or zh-Hant) to a content folder.

    Its script, writing direction and date formats come from CLDR; its fonts are chosen
    from the installed ones. Writes the folder's languages.toml entry and an empty
    catalogue for each drug and for the templates, and prints their paths.
    """
    from .add_language import add_language, report

    if Path(content_dir).resolve().is_relative_to(CONTENT_DIR.parent):
        raise HandoutsError(
            "name a content folder of your own with --content; handouts' own files are "
            "not changed (copy handouts/samples/ to start one)"
        )
    discover(content_dir)
    for line in report(*add_language(tag, content_dir)):
        click.echo(line)


def _unregistered(content_dir: Path) -> None:
    """A catalogue of a language that is not registered is an error, never ignored."""
    from .locations import unregistered_catalogs

    problems = unregistered_catalogs(content_dir)
    if problems:
        raise HandoutsError("\n".join(problems))


def _card_spec(spec: str) -> tuple[str, str, int]:
    parts = spec.split(":")
    if len(parts) not in (2, 3) or (len(parts) == 3 and not parts[2].isdigit()):
        raise click.BadParameter(
            f"{spec!r} is not DRUG:LANG or DRUG:LANG:COUNT", param_hint="CARDS"
        )
    _check_langs([parts[1]])
    return parts[0], parts[1], int(parts[2]) if len(parts) == 3 else 1


def _paper_and_stock(paper: str | None, stock: str | None, clinic) -> tuple[str, str]:
    """The options given, else the clinic's, else the defaults."""
    from .documents import DEFAULT_PAPER, DEFAULT_STOCK

    return (
        paper or (clinic.clinic.paper if clinic else DEFAULT_PAPER),
        stock or (clinic.clinic.card_stock if clinic else DEFAULT_STOCK),
    )


def _clinic(path: Path | None):
    from .clinic import find_settings, load_clinic

    path = find_settings(path)
    return load_clinic(path) if path else None


def _describe(drug) -> str:
    brands = ", ".join(sorted({b.name for b in drug.drug.names.brands}))
    langs = ", ".join(
        f"{lang} ({native_name(lang)})" for lang in available_languages(drug.path.parent)
    )
    from .codes import described

    untranslated = untranslated_languages(drug.path.parent)
    waiting = f"\tnot translated yet: {', '.join(untranslated)}" if untranslated else ""
    return f"{drug.id}\t{brands}\t{described(drug)}\t{langs}{waiting}"


def _skipped_note(drug_id: str, drug_dir: Path) -> None:
    """Say which catalogues a build leaves out because nothing in them is translated."""
    untranslated = untranslated_languages(drug_dir)
    if untranslated:
        click.echo(
            f"{drug_id}: skipped {', '.join(untranslated)}: not translated yet (nothing in "
            "their catalogues is translated)",
            err=True,
        )


def _drugs_by_code(codes: tuple[str, ...], content_dir: Path) -> tuple[str, ...]:
    """The ids of the drugs the codes name (each code must name at least one)."""
    if not codes:
        return ()
    from .codes import CodeError, drugs_with, parse_spec
    from .content import load_all

    loaded = load_all(content_dir)
    found: list[str] = []
    for spec in codes:
        try:
            system, code = parse_spec(spec)
        except CodeError as error:
            raise click.BadParameter(f"{spec!r} {error}", param_hint="--code") from None
        named = drugs_with(loaded, system, code)
        if not named:
            raise click.BadParameter(
                f"no drug in {display_path(content_dir)} has the {system} code {code}; "
                "`handouts list` shows each drug's codes (add it under codes: in its drug.yaml)",
                param_hint="--code",
            )
        found += [drug.id for drug in named]
    return tuple(dict.fromkeys(found))


def _select_drugs(drugs, all_drugs, content_dir) -> list[str] | None:
    known = list(discover(content_dir))
    unknown = [d for d in drugs if d not in known]
    if unknown:
        raise click.BadParameter(
            f"unknown drug {', '.join(map(repr, unknown))}; valid drugs: "
            f"{', '.join(known) or '(none in ' + display_path(content_dir) + ')'}",
            param_hint="DRUG",
        )
    if drugs:
        return list(dict.fromkeys(drugs))
    if all_drugs:
        return None
    raise click.UsageError("name at least one drug, or use --all; valid drugs: " + ", ".join(known))


def _check_langs(langs) -> tuple[str, ...]:
    unknown = [lang for lang in langs if lang not in tags()]
    if unknown:
        raise click.BadParameter(
            f"unknown language {', '.join(map(repr, unknown))}; valid "
            f"languages: {', '.join(tags())} (a content folder adds more: "
            "`handouts i18n add-language`)",
            param_hint="--lang",
        )
    return tuple(dict.fromkeys(langs))


def main(argv=None):
    """Entry point: domain errors become one clear message, not a traceback."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="handouts", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except ContentError as error:
        if debug:
            raise
        for problem in error.problems:
            click.echo(str(problem), err=True)
        click.echo(
            f"Error: {plural(len(error.problems), 'problem')} in {error.subject}; "
            "nothing was written.",
            err=True,
        )
        sys.exit(1)
    except HandoutsError as error:
        if debug:
            raise
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)
    except Exception as error:  # a bug, not bad input: still no traceback unless asked
        if debug:
            raise
        click.echo(
            f"Error: unexpected {type(error).__name__}: {error}. Run again with "
            "--debug to see the traceback, and please report it.",
            err=True,
        )
        sys.exit(1)
