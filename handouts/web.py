"""The discharge web page and the HTTP API: a thin Flask layer over the pipeline.

A nurse picks drug, language and documents, may write in patient details, and prints.
Patient details arrive only in POST bodies, stay in memory, and leave only inside the
PDF: they are never logged, stored, cached or put into a URL, a file name or metadata.
"""

import datetime as dt
import json
import logging
import re
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from .access import OPEN_PATHS, AccessPolicy, cross_site, is_loopback
from .batch import render_together
from .catalogs import WEB_ONLY_SECTIONS, available_languages, load_translation, section_of
from .clinic import ClinicSettings
from .clinic_templates import template_folders
from .compose import PERSONAL_FIELDS, Job, Personal, display_name
from .content import DrugContent, load_all
from .documents import KINDS
from .errors import CatalogError, HandoutsError
from .infobutton import Feed, query_string, respond
from .infobutton import find as find_entries
from .infobutton import parse as parse_infobutton
from .languages import direction, native_name
from .locations import TEMPLATES_DIR
from .lookup import LANGUAGE_TAG, by_codes, language_for
from .packet import packet_jobs
from .render_service import Busy, ClientGone, RenderService, Unavailable
from .site import INDEX, STYLESHEET, Site, document_job, site_prefix
from .stocks import STOCKS
from .template_strings import load_template_translation
from .web_input import (
    BadRequest,
    DocumentRequest,
    describe_errors,
    form_request,
    mentions,
    parse_json,
)

log = logging.getLogger("handouts.web")
MAX_REQUEST_BYTES = 16 * 1024
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        "img-src 'self'; connect-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Not no-referrer: a browser then sends "Origin: null" with the page's own form posts,
    # and the cross-site check (access.py) could not tell them from a forged one. Other
    # sites still get no referrer.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
}
# The web edition's pages and PDFs are public and hold no patient data: any cache may keep
# them, for five minutes, so that a label update reaches a patient who scans a card
# within minutes; after that a browser asks again (ETag).
PUBLIC_CACHING = "public, max-age=300"
# Open to anyone, like the health checks: a patient scanning a card has no credentials.
PUBLIC_ENDPOINTS = (
    "site_index",
    "site_stylesheet",
    "site_page",
    "site_version",
    "site_pdf",
    "infobutton",
)
# What an error says, by status, when nothing more particular is known.
ERROR_MESSAGES = {
    400: "the request is malformed (its request line, a header or its body); send it again",
    404: "no such page",
    405: "method not allowed",
    413: f"request too large (limit {MAX_REQUEST_BYTES // 1024} KB)",
    431: "the request's headers are too large",
    500: "could not make the document; the error is logged without patient details",
    501: "the request uses a method or encoding this server does not implement",
}


def create_app(
    content_dir: Path,
    renders: RenderService | Executor,
    clinic: ClinicSettings | None = None,
    template_dirs: tuple[Path, ...] | None = None,
    policy: AccessPolicy | None = None,
) -> Flask:
    """renders: the render workers (an Executor is taken as one that never breaks).
    template_dirs: a clinic's template folders for the documents (not the page),
    searched first; by default the clinic settings' own folder, if they name one.
    policy: who may use it (default: anyone who can reach a loopback address)."""
    if isinstance(renders, RenderService):
        service = renders
    else:
        executor: Executor = renders
        service = RenderService(lambda: executor, capacity=64)
        service.ready = True
    policy = policy or AccessPolicy()
    # The page's templates and static files are in Flask's default folders under web/.
    app = Flask(__name__, root_path=str(TEMPLATES_DIR / "web"))
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    # An unknown Host header is a 400 (a DNS-rebinding page, a misrouted request).
    app.config["TRUSTED_HOSTS"] = list(policy.hosts)
    drugs = {d.id: d for d in load_all(content_dir)}
    folders = template_folders((), clinic) if template_dirs is None else tuple(template_dirs)

    edition = Site(drugs.values(), clinic, folders)
    pages: dict[str, bytes] = {}  # the web edition's pages and PDFs, made once
    fresh = threading.Lock()

    @app.after_request
    def headers(response: Response) -> Response:
        public = response.headers.get("Cache-Control") == PUBLIC_CACHING
        response.headers.update(SECURITY_HEADERS)
        if public:
            response.headers["Cache-Control"] = PUBLIC_CACHING
            del response.headers["Pragma"]
        return response

    @app.before_request
    def signed_in():
        if request.path in OPEN_PATHS or request.endpoint in PUBLIC_ENDPOINTS:
            return None
        if not policy.required:
            return None
        if policy.user(request.headers, request.remote_addr) is None:
            response = _error(
                "sign in first: this service needs the signing-in proxy or a bearer token",
                401,
            )
            if policy.token:
                response.headers["WWW-Authenticate"] = 'Bearer realm="handouts"'
            return response
        return None

    @app.before_request
    def same_site_posts_only():
        if request.method == "POST" and cross_site(request.headers, request.host):
            return _error("refused: the request comes from a page of another site", 403)
        return None

    @app.before_request
    def no_patient_data_in_urls():
        # Patient details belong in a POST body; a URL ends up in logs and history.
        if set(request.args) & set(PERSONAL_FIELDS):
            return _error("patient details may only be sent in a POST body", 400)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        response = _error(ERROR_MESSAGES.get(code, error.name.lower()), code)
        allow = dict(error.get_headers()).get("Allow")
        if allow:  # 405: the methods the address takes
            response.headers["Allow"] = allow
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        # One line: the type and where it was raised. Never the message or a traceback:
        # either may hold a patient's details.
        frame = (traceback.extract_tb(error.__traceback__) or [None])[-1]
        where = f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}" if frame else "?"
        log.error(
            "unexpected %s at %s while serving %s %s",
            type(error).__name__,
            where,
            request.method,
            request.path,
        )
        return _error(ERROR_MESSAGES[500], 500)

    @app.get("/healthz")
    def healthz():
        healthy, why = service.health()
        return jsonify({"status": "ok" if healthy else why, **service.load()}), (
            200 if healthy else 503
        )

    @app.get("/readyz")
    def readyz():
        ready, why = service.readiness()
        response = jsonify({"status": why, **service.load()})
        if not ready:
            response.headers["Retry-After"] = "2"
        return response, 200 if ready else 503

    @app.get("/")
    def page():
        """The discharge page; an EHR opens it with the medicines and the patient's
        language chosen: /?rxcui=...&ndc=...&lang=... (codes repeated or comma-separated)."""
        catalog = _catalog(drugs, folders)
        try:
            launch = launch_choice(request.args, drugs, catalog)
        except BadRequest as error:
            return _error(str(error), 400)
        return render_template(
            "index.html",
            catalog=catalog,
            launch=launch,
            stocks=STOCKS,
            clinic=clinic.clinic if clinic else None,
        )

    @app.get("/api/catalog")
    def catalog():
        return jsonify(_catalog(drugs, folders))

    @app.post("/api/documents")
    def documents_api():
        if not request.is_json:
            return _error("send a JSON object (Content-Type: application/json)", 400)
        try:
            # Read here, not by get_json: within a nesting bound, each key once.
            body = parse_json(request.get_data(cache=False))
        except BadRequest as error:
            return _error(str(error), 400)
        return _documents(body)

    @app.post("/print")
    def documents_form():
        try:
            body = form_request({key: request.form.getlist(key) for key in request.form})
        except BadRequest as error:
            return _error(str(error), 400)
        return _documents(body)

    # The web edition (site.py), at the paths `handouts site` writes it to, under the path
    # of the clinic's qr_base_url: the QR codes this service prints open it.
    root = site_prefix(clinic)
    # Only the medicines there are: any other address is the service's own (an unknown
    # /api/... is a 404, not a redirect to a page that is not there). Drug ids are
    # lower-case letters, digits and hyphens (content.py), safe in a route's pattern.
    drug_ids = _any(drugs)
    clashes = sorted(set(drugs) & OWN_PATHS) if not root else []
    if clashes:
        raise HandoutsError(
            f"the drug id {clashes[0]!r} is also the address of the service's own "
            f"/{clashes[0]}; give the clinic settings a qr_base_url with a path of its own "
            "(https://host/medicines) so that the web edition is served under it"
        )

    app.config["SITE_ROOT"] = root  # for the start-up line (serve)

    def public(data: bytes, mimetype: str) -> Response:
        response = Response(data, mimetype=mimetype)
        response.headers["Cache-Control"] = PUBLIC_CACHING
        response.add_etag()
        response.make_conditional(request)  # 304 when the browser has it already
        return response

    def kept(path: str, make: Callable[[], bytes | None]) -> bytes | None:
        """A page or PDF of the web edition, made once while the translations stay as they
        are. Not kept past KEPT_PAGES (an earlier version's page is made for any version
        up to the current one, and made-up ones must not fill memory)."""
        with fresh:
            if not edition.fresh():
                pages.clear()
            data = pages.get(path)
        if data is None:
            data = make()
            if data is not None and len(pages) < KEPT_PAGES:
                pages[path] = data
        return data

    def site_path(path: str) -> Response:
        data = kept(path, lambda: edition.render_path(path))
        if data is None:
            return _error(ERROR_MESSAGES[404], 404)
        return public(data, "text/css" if path == STYLESHEET else "text/html")

    def site_index():
        return site_path(INDEX)

    # OUT/index.html; under a path of its own, the edition's root shows it too (the
    # server's own root is the discharge page).
    for rule in (f"{root}/{INDEX}", f"{root}/") if root else (f"/{INDEX}",):
        app.add_url_rule(rule, "site_index", site_index, methods=["GET"])

    @app.get(f"{root}/{STYLESHEET}", endpoint="site_stylesheet")
    def site_stylesheet():
        return site_path(STYLESHEET)

    @app.get(f"{root}/<{drug_ids}:drug>/<lang>/", endpoint="site_page")
    @app.get(f"{root}/<{drug_ids}:drug>/<lang>/{INDEX}", endpoint="site_page")
    def site_page(drug: str, lang: str):
        return site_path(f"{drug}/{lang}/{INDEX}")

    @app.get(f"{root}/<{drug_ids}:drug>/<lang>/<version>/", endpoint="site_version")
    @app.get(f"{root}/<{drug_ids}:drug>/<lang>/<version>/{INDEX}", endpoint="site_version")
    def site_version(drug: str, lang: str, version: str):
        return site_path(f"{drug}/{lang}/{version}/{INDEX}")

    @app.get(f"{root}/<{drug_ids}:drug>/<lang>/<name>.pdf", endpoint="site_pdf")
    def site_pdf(drug: str, lang: str, name: str):
        """The documents a page offers, made when asked (and kept whole by the workers)."""
        content = drugs.get(drug)
        if content is None or lang not in edition.published(content):
            return _error(ERROR_MESSAGES[404], 404)
        wanted = f"{drug}/{lang}/{name}.pdf"
        offered = {path: kind for kind, path in edition.downloads(content, lang)}
        if wanted not in offered:
            return _error(ERROR_MESSAGES[404], 404)
        job = document_job(content, lang, offered[wanted], clinic)

        def render() -> bytes | None:
            pdf, _, _, failure = service.render(
                render_together, [job], folders, True, affinity=f"{drug}/{lang}"
            )
            if failure:
                log.error("the web edition's %s could not be made: %s", wanted, failure)
            return pdf if not failure else None

        try:
            # Kept here once made: anyone may ask for these, and a ward's printing must
            # not wait behind them.
            pdf = kept(wanted, render)
        except (Busy, Unavailable):
            response = _error("busy: try again in a moment", 503)
            response.headers["Retry-After"] = "2"
            return response
        if pdf is None:
            return _error(ERROR_MESSAGES[500], 500)
        return public(pdf, "application/pdf")

    @app.get("/infobutton")
    def infobutton():
        """HL7 Infobutton knowledge requests (infobutton.py): public, as the web edition
        it links to is; the answer names no patient."""
        try:
            query = parse_infobutton(request.args)
        except BadRequest as error:
            if "json" in request.args.get("knowledgeResponseType", ""):
                return jsonify({"error": str(error)}), 400
            return _error(str(error), 400)
        base = (clinic.clinic.qr_base_url if clinic else None) or request.url_root.rstrip(
            "/"
        ) + root
        feed = Feed(
            query,
            find_entries(query, drugs.values(), edition, base.rstrip("/")),
            author=clinic.clinic.name if clinic else "handouts",
            author_uri=base,
            updated=dt.datetime.now(dt.UTC),
            url=f"{request.base_url}?{query_string(query)}",
        )
        data, mimetype = respond(feed)
        response = Response(data, content_type=mimetype)
        response.headers["Cache-Control"] = PUBLIC_CACHING
        # An EHR's page may read it from another origin: it is public, like the pages.
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    def _documents(body: dict[str, Any]):
        try:
            wanted = DocumentRequest.model_validate(body)
        except ValidationError as error:
            return _error(describe_errors(error), 400)
        unknown = [drug_id for drug_id in wanted.medicines if drug_id not in drugs]
        if unknown:
            return _error(f"unknown drug; valid drugs: {', '.join(drugs)}", 400)
        chosen = [drugs[drug_id] for drug_id in wanted.medicines]
        for drug in chosen:
            langs = available_languages(drug.path.parent)
            if wanted.lang not in langs:
                return _error(f"unknown language for {drug.id}; valid: {', '.join(langs)}", 400)
        fhir = wants_fhir(request.accept_mimetypes)
        subject = None
        if wanted.patient_reference is not None:
            if not fhir:
                return _error(
                    "patient_reference is for the FHIR record only: send it with "
                    "Accept: application/fhir+json",
                    400,
                )
            from .fhir_record import patient_reference

            try:
                subject = patient_reference(wanted.patient_reference)
            except ValueError as error:
                return _error(f"patient_reference: {error}", 400)
        p = wanted.personalization
        personal = Personal(p.patient_name, p.care_team, p.phone, p.start_date)
        options = {
            "paper": wanted.paper,
            "stock": wanted.stock,
            "large_print": wanted.large_print,
            "clinic": clinic,
            "personal": personal,
        }
        if wanted.drugs is not None:
            jobs = packet_jobs(chosen, wanted.lang, **options)
            what = "packet"
        else:
            # Handout first: the PDF takes its title and PDF/UA identification from it.
            kinds = sorted(wanted.kinds, key=KINDS.index)
            jobs = [Job(chosen[0], wanted.lang, kind, **options) for kind in kinds]
            what = "+".join(kinds)
        ids = "+".join(drug.id for drug in chosen)
        start = time.perf_counter()
        gone = request.environ.get("waitress.client_disconnected", lambda: False)
        try:
            pdf, _, _, failure = service.render(
                render_together,
                jobs,
                folders,
                True,  # documents without details are kept whole
                gone=gone,
                affinity=f"{ids}/{wanted.lang}",
            )
        except Busy:
            response = _error("busy: every render worker is taken; try again in a moment", 503)
            response.headers["Retry-After"] = "2"
            return response
        except Unavailable:
            return _error(
                "the document could not be made: the render process stopped twice while "
                "making it; try again, and tell the service's operator if it happens again",
                503,
            )
        except ClientGone:
            return Response(status=499)  # nobody is listening; nothing was rendered
        if failure:
            # The pipeline's messages name fields, never patient data; should one ever
            # quote it, the message is withheld.
            given = [str(value) for value in p.model_dump().values() if value]
            if mentions(failure, given):
                log.error("a refusal of a personalized request was withheld: it quoted details")
                failure = "these details cannot be printed; shorten or retype them"
            return _error(failure, 422)
        log.info(
            "rendered %s/%s %s in %.0f ms",
            ids,
            wanted.lang,
            what,
            (time.perf_counter() - start) * 1000,
        )
        name = f"{'-'.join(drug.id for drug in chosen)}-{wanted.lang}-{what.replace('+', '-')}.pdf"
        if fhir:
            from .fhir_record import PdfFile, document_reference  # slow to import

            reviewed = all(
                translation_status(drug, wanted.lang, folders)["reviewed"] for drug in chosen
            )
            names = ", ".join(display_name(drug.drug) for drug in chosen)
            record = document_reference(
                [PdfFile(name, pdf)],
                lang=wanted.lang,
                medicines=[(drug.drug.names.generic, drug.drug.codes) for drug in chosen],
                reviewed=reviewed,
                when=dt.datetime.now(dt.UTC).replace(microsecond=0),
                subject=subject,
                title=f"Patient education printed: {names} ({what.replace('+', ' and ')}, "
                f"{wanted.lang})",
            )
            return Response(json.dumps(record), mimetype=FHIR_JSON)
        return Response(
            pdf,
            mimetype="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}"'},
        )

    return app


# What the discharge page's address may carry: an EHR's launch (never patient details).
LAUNCH_PARAMETERS = ("rxcui", "ndc", "drug", "lang")
LAUNCH_CODES = {"rxcui": "rxnorm", "ndc": "ndc"}  # parameter: code system


def launch_choice(args, drugs: dict[str, DrugContent], catalog: dict) -> dict[str, Any]:
    """What a launch URL chooses: the medicines its codes (or drug ids) name, the codes
    that name none, the languages every chosen medicine has, and the one asked for."""
    unexpected = sorted(key for key in args if key not in LAUNCH_PARAMETERS)
    if unexpected:
        shown = ", ".join(
            key if re.fullmatch(r"[A-Za-z_.]{1,40}", key) else "(a parameter)"
            for key in unexpected[:3]
        )
        raise BadRequest(
            f"the page's address takes only {', '.join(LAUNCH_PARAMETERS)} (an EHR's launch: "
            f"/?rxcui=...&lang=es), not {shown}; patient details are typed into the form"
        )
    values = {
        key: [
            part.strip() for value in args.getlist(key) for part in value.split(",") if part.strip()
        ]
        for key in LAUNCH_PARAMETERS
    }
    chosen, unknown = by_codes(
        drugs.values(),
        [(system, code) for key, system in LAUNCH_CODES.items() for code in values[key]],
    )
    ids = [drug.id for drug in chosen]
    for drug_id in values["drug"]:
        if drug_id in drugs:
            ids.append(drug_id)
        else:
            unknown.append(
                "a medicine id" if not re.fullmatch(r"[a-z0-9-]{1,100}", drug_id) else drug_id
            )
    ids = list(dict.fromkeys(ids))
    entries = [entry for entry in catalog["drugs"] if entry["id"] in ids] or catalog["drugs"][:1]
    tags = [{each["tag"] for each in entry["languages"]} for entry in entries]
    languages = [lang for lang in entries[0]["languages"] if all(lang["tag"] in t for t in tags)]
    asked = values["lang"][0] if values["lang"] else ""
    lang = language_for(asked, [each["tag"] for each in languages]) if asked else None
    missing = ""
    if asked and not lang:  # shown back only when it looks like a language tag
        missing = asked if LANGUAGE_TAG.fullmatch(asked) else "the one asked for"
    return {
        "drugs": ids,
        # A launch that names medicines chooses only those (none, if none is known):
        # never a default medicine for a patient the EHR meant another for.
        "asked": any(values[key] for key in ("rxcui", "ndc", "drug")),
        "unknown": unknown,
        "languages": languages,
        "lang": lang or "",
        "lang_missing": missing,
    }


FHIR_JSON = "application/fhir+json"


def wants_fhir(accept) -> bool:
    """Whether the client asks for the FHIR record (DocumentReference) rather than the
    PDF: it names application/fhir+json and prefers it."""
    return accept.best_match(["application/pdf", FHIR_JSON]) == FHIR_JSON


# The web edition's pages and PDFs kept in memory at most: every page of a large
# formulary (drugs x languages x versions), not every address a client can make up.
KEPT_PAGES = 2000
# The first path segments the service itself answers.
OWN_PATHS = {"api", "print", "static", "healthz", "readyz", "infobutton"}


def _any(values) -> str:
    """A URL converter that matches only these values."""
    return "any(" + ", ".join(f'"{value}"' for value in sorted(values)) + ")"


def _error(message: str, status: int) -> Response:
    """The error as JSON for the API and for JSON requests, else as the HTML page."""
    if request.path.startswith("/api/") or request.is_json:
        response = jsonify({"error": message})
    else:
        response = Response(render_template("error.html", message=message, status=status))
    response.status_code = status
    return response


def error_body(app: Flask, status: int, path: str, is_json: bool) -> tuple[str, bytes]:
    """The body of an error the WSGI server answers itself (http_server.py), as _error
    writes it for that path."""
    message = ERROR_MESSAGES.get(status, "the request could not be served")
    with app.test_request_context(
        "/api/" if path.startswith("/api/") else "/",
        content_type="application/json" if is_json else None,
    ):
        response = _error(message, status)
        return response.content_type, response.get_data()


def translation_status(
    drug: DrugContent, lang: str, template_dirs: tuple[Path, ...]
) -> dict[str, bool]:
    """Whether the language prints (complete) and has been reviewed, as the page shows it."""
    if lang == "en":
        return {"complete": True, "reviewed": True}
    try:
        content = load_translation(drug.path.parent, drug.drug, lang).status
        templates = load_template_translation(lang, template_dirs).status
    except CatalogError:  # a broken entry blocks the language, as a missing one
        return {"complete": False, "reviewed": False}
    printed = [
        path
        for path in content.missing + content.stale
        if section_of(path) not in WEB_ONLY_SECTIONS
    ]
    return {
        "complete": not (printed or templates.missing or templates.stale),
        "reviewed": content.reviewed and templates.reviewed,
    }


def _catalog(drugs: dict[str, DrugContent], template_dirs: tuple[Path, ...]) -> dict:
    entries = []
    for drug in drugs.values():
        languages = [
            {
                "tag": lang,
                "name": native_name(lang),
                "dir": direction(lang),
                **translation_status(drug, lang, template_dirs),
            }
            for lang in available_languages(drug.path.parent)
        ]
        entries.append(
            {
                "id": drug.id,
                "name": drug.drug.names.generic,
                "brands": sorted({b.name for b in drug.drug.names.brands}),
                "content_version": drug.drug.content_version,
                "codes": drug.drug.codes.model_dump(exclude={"sources"}) if drug.drug.codes else {},
                "languages": languages,
            }
        )
    return {
        "drugs": entries,
        "kinds": ["handout", "card"],
        "papers": ["letter", "a4"],
        "stocks": [s for s in STOCKS if s != "print-shop"],
    }


# Many slow or idle clients must not lock the others out: waitress reads requests in one
# event loop and hands only complete ones to the threads, so what bounds it is the number
# of open connections (and of file descriptors) and how long an idle one is kept.
CONNECTION_LIMIT = 1000
IDLE_SECONDS = 30


def serve(
    app: Flask, host: str, port: int, threads: int, authenticated: bool = False, **settings: Any
) -> None:
    """Waitress, a production WSGI server; it writes no access log of its own. settings:
    more of waitress's own."""
    import resource

    from .http_server import create_server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = CONNECTION_LIMIT + 64 + threads
    if soft != resource.RLIM_INFINITY and soft < wanted:
        limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
    if authenticated and not is_loopback(host):
        log.warning(
            "this service speaks plain HTTP: reach it only through a TLS reverse proxy "
            "(README: 'Running it for a ward')"
        )
    server = create_server(
        app,
        host,
        port,
        lambda status, path, is_json: error_body(app, status, path, is_json),
        SECURITY_HEADERS,
        **{
            "threads": threads,
            "ident": "handouts",
            "max_request_body_size": MAX_REQUEST_BYTES,
            "connection_limit": CONNECTION_LIMIT,
            "channel_timeout": IDLE_SECONDS,
            "cleanup_interval": 5,
            # Keeps reading a connection while its request is handled, so that a client
            # that hangs up is noticed (waitress.client_disconnected) and its render dropped.
            "channel_request_lookahead": 1,
            **settings,
        },
    )
    log.info(
        "handouts web app on http://%s:%d/; the web edition (what the printed QR codes "
        "open) at %s/%s",
        host,
        port,
        app.config.get("SITE_ROOT", ""),
        INDEX,
    )
    server.run()
