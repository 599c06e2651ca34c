"""The discharge web page and the HTTP API: a thin Flask layer over the pipeline.

A nurse picks drug, language and documents, may write in patient details, and prints.
Patient details arrive only in POST bodies, stay in memory, and leave only inside the
PDF: they are never logged, stored, cached or put into a URL, a file name or metadata.
"""

import logging
import time
import traceback
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from .batch import render_together
from .catalogs import available_languages, load_translation
from .clinic import ClinicSettings
from .clinic_templates import template_folders
from .compose import Job, Personal
from .content import DrugContent, load_all
from .documents import KINDS
from .errors import CatalogError
from .languages import direction, native_name
from .locations import TEMPLATES_DIR
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
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
}
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
    executor: Executor,
    clinic: ClinicSettings | None = None,
    template_dirs: tuple[Path, ...] | None = None,
) -> Flask:
    """template_dirs: a clinic's template folders for the documents (not the page),
    searched first; by default the clinic settings' own folder, if they name one."""
    # The page's templates and static files are in Flask's default folders under web/.
    app = Flask(__name__, root_path=str(TEMPLATES_DIR / "web"))
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    drugs = {d.id: d for d in load_all(content_dir)}
    folders = template_folders((), clinic) if template_dirs is None else tuple(template_dirs)

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.before_request
    def no_patient_data_in_urls():
        # Patient details belong in a POST body; a URL ends up in logs and history.
        if set(request.args) & {"patient_name", "care_team", "phone", "start_date"}:
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

    @app.get("/")
    def page():
        return render_template(
            "index.html",
            catalog=_catalog(drugs, folders),
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

    def _documents(body: dict[str, Any]):
        try:
            wanted = DocumentRequest.model_validate(body)
        except ValidationError as error:
            return _error(describe_errors(error), 400)
        drug = drugs.get(wanted.drug)
        if drug is None:
            return _error(f"unknown drug; valid drugs: {', '.join(drugs)}", 400)
        langs = available_languages(drug.path.parent)
        if wanted.lang not in langs:
            return _error(f"unknown language for {drug.id}; valid: {', '.join(langs)}", 400)
        p = wanted.personalization
        personal = Personal(p.patient_name, p.care_team, p.phone, p.start_date)
        # Handout first: the PDF takes its title and PDF/UA identification from it.
        kinds = sorted(wanted.kinds, key=KINDS.index)
        jobs = [
            Job(
                drug,
                wanted.lang,
                kind,
                wanted.paper,
                stock=wanted.stock,
                large_print=wanted.large_print,
                clinic=clinic,
                personal=personal,
            )
            for kind in kinds
        ]
        start = time.perf_counter()
        pdf, _, _, failure = executor.submit(render_together, jobs, folders).result()
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
            drug.id,
            wanted.lang,
            "+".join(kinds),
            (time.perf_counter() - start) * 1000,
        )
        name = f"{drug.id}-{wanted.lang}-{'-'.join(kinds)}.pdf"
        return Response(
            pdf,
            mimetype="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}"'},
        )

    return app


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


def _catalog(drugs: dict[str, DrugContent], template_dirs: tuple[Path, ...]) -> dict:
    entries = []
    for drug in drugs.values():
        languages = []
        for lang in available_languages(drug.path.parent):
            if lang == "en":
                status = {"complete": True, "reviewed": True}
            else:
                try:
                    content = load_translation(drug.path.parent, drug.drug, lang).status
                    templates = load_template_translation(lang, template_dirs).status
                    status = {
                        "complete": not (
                            content.missing or content.stale or templates.missing or templates.stale
                        ),
                        "reviewed": content.reviewed and templates.reviewed,
                    }
                except CatalogError:  # a broken entry blocks the language, as a missing one
                    status = {"complete": False, "reviewed": False}
            languages.append(
                {"tag": lang, "name": native_name(lang), "dir": direction(lang), **status}
            )
        entries.append(
            {
                "id": drug.id,
                "name": drug.drug.names.generic,
                "brands": sorted({b.name for b in drug.drug.names.brands}),
                "content_version": drug.drug.content_version,
                "languages": languages,
            }
        )
    return {
        "drugs": entries,
        "kinds": ["handout", "card"],
        "papers": ["letter", "a4"],
        "stocks": [s for s in STOCKS if s != "print-shop"],
    }


def serve(app: Flask, host: str, port: int, threads: int, **settings: Any) -> None:
    """Waitress, a production WSGI server; it writes no access log of its own. settings:
    more of waitress's own (connection limits, timeouts)."""
    from .http_server import create_server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
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
            **settings,
        },
    )
    log.info("handouts web app on http://%s:%d/", host, port)
    server.run()
