"""The web app and HTTP API through Flask's test client: every route, every bad input."""

import io
import logging
import threading
import time
import urllib.request

import pikepdf
import pytest
from pypdf import PdfReader

from handouts.batch import InlineExecutor, make_executor, render_together
from handouts.compose import Job, Personal
from handouts.locations import CONTENT_DIR
from handouts.pdf import WeasyPrintWarnings
from handouts.web import MAX_REQUEST_BYTES, create_app

from .conftest import page_sizes, pdf_text, running_server

NAME = "Zephyrine Quackenbush"
PERSONAL = {
    "patient_name": NAME,
    "care_team": "Dr Ada Byron, Ward 7",
    "phone": "+1 555 010 0199",
    "start_date": "2026-11-02",
}


@pytest.fixture(scope="module")
def client():
    app = create_app(CONTENT_DIR, InlineExecutor())
    app.testing = True
    return app.test_client()


def _post(client, **body):
    return client.post("/api/documents", json={"drug": "blinatumomab", **body})


def test_page_is_a_labelled_form(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for field in (
        "drug",
        "lang",
        "paper",
        "stock",
        "patient_name",
        "care_team",
        "phone",
        "start_date",
    ):
        assert f'<label for="{field}"' in html
    assert 'lang="ar" dir="rtl">العربية</option>' in html
    assert "<script>" not in html and "style=" not in html  # nothing inline, for the CSP
    script = client.get("/static/app.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    script.close()


def test_every_response_has_the_security_headers(client):
    for response in (
        client.get("/"),
        client.get("/api/catalog"),
        client.get("/nowhere"),
        _post(client, lang="en"),
    ):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp


def test_catalog(client):
    catalog = client.get("/api/catalog").get_json()
    drug = {d["id"]: d for d in catalog["drugs"]}["inotuzumab-ozogamicin"]
    languages = {lang["tag"]: lang for lang in drug["languages"]}
    assert len(languages) == 16
    assert languages["en"] == {
        "tag": "en",
        "name": "English",
        "dir": "ltr",
        "complete": True,
        "reviewed": True,
    }
    assert languages["ar"]["dir"] == "rtl" and languages["ar"]["name"] == "العربية"
    assert languages["es"]["complete"] and not languages["es"]["reviewed"]


def test_personalized_handout_and_card_in_one_pdf(client, caplog):
    caplog.set_level(logging.DEBUG)
    response = _post(client, lang="es", kinds=["handout", "card"], personalization=PERSONAL)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/pdf"
    assert NAME not in response.headers["Content-Disposition"]
    pdf = response.data
    text = pdf_text(pdf)
    assert NAME in text and "Dr Ada Byron, Ward 7" in text and "+1 555 010 0199" in text
    assert "2 de noviembre de 2026" in text
    sizes = page_sizes(pdf)
    assert sizes[0] == (612.0, 792.0) and sizes[-2:] == [(252.0, 144.0)] * 2
    reader = PdfReader(io.BytesIO(pdf))
    assert NAME not in str(reader.metadata) and NAME.encode() not in bytes(
        str(reader.trailer.get("/ID")), "utf-8"
    )
    assert NAME not in caplog.text
    # One tag tree over every page: each page has its own key in the parent tree, and
    # the card's pages have tagged content too (two PDFs glued together would not).
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert document.open_metadata().get("pdfuaid:part") == "1"
        keys = [int(page.obj.StructParents) for page in document.pages]
        assert keys == list(range(len(sizes)))
        nums = document.Root.StructTreeRoot.ParentTree.Nums
        tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        assert all(len(tree[key]) > 0 for key in keys)


def test_form_post_prints_the_same(client):
    response = client.post(
        "/print",
        data={
            "drug": "blinatumomab",
            "lang": "en",
            "kinds": "card",
            "paper": "letter",
            "stock": "id1",
            "patient_name": NAME,
        },
    )
    assert response.status_code == 200
    assert NAME in pdf_text(response.data)
    assert page_sizes(response.data)[0] == (242.65, 153.01)


@pytest.mark.parametrize(
    "body, message",
    [
        ({"drug": "nosuchdrug"}, "unknown drug; valid drugs: blinatumomab, inotuzumab-ozogamicin"),
        ({"lang": "xx"}, "unknown language for blinatumomab"),
        ({"kinds": ["poster"]}, "kinds.0: Input should be 'handout' or 'card'"),
        ({"kinds": []}, "kinds: List should have at least 1 item"),
        ({"stock": "print-shop"}, "stock: Input should be"),
        ({"paper": "legal"}, "paper: Input should be 'letter' or 'a4'"),
        ({"colour": "red"}, "colour: Extra inputs are not permitted"),
        (
            {"personalization": {"patient_name": "x" * 81}},
            "personalization.patient_name: String should have at most 80 characters",
        ),
        (
            {"personalization": {"patient_name": "Ann\u202eeB"}},
            "personalization.patient_name: has a control, invisible or direction-changing",
        ),
        (
            {"personalization": {"care_team": "Ward\n7"}},
            "personalization.care_team: has a control, invisible or direction-changing",
        ),
        ({"personalization": {"phone": "call me"}}, "personalization.phone: may hold only digits"),
        ({"personalization": {"start_date": "2026-02-30"}}, "personalization.start_date:"),
        (
            {"personalization": {"start_date": "1901-01-01"}},
            "personalization.start_date: is not a plausible treatment start date",
        ),
        ({"personalization": {"dob": "1970-01-01"}}, "personalization.dob: Extra inputs"),
    ],
)
def test_bad_input_is_a_400_with_a_json_error(client, body, message):
    response = client.post("/api/documents", json={"drug": "blinatumomab", **body})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert message in error
    assert "Zephyrine" not in error and "Ann" not in error and "U+" not in error


def test_character_outside_the_fonts_is_refused_without_echoing_it(client):
    response = _post(client, personalization={"patient_name": "Snow \U0001f9a0 Man"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert "personalization.patient_name: a character in it cannot be printed" in error
    assert "Snow" not in error and "U+1F9A0" not in error


def test_other_bad_requests(client):
    assert client.get("/nowhere").status_code == 404
    assert client.get("/api/documents").status_code == 405
    response = client.post("/api/documents", data="not json", content_type="text/plain")
    assert response.status_code == 400 and "JSON object" in response.get_json()["error"]
    big = client.post("/api/documents", json={"drug": "x" * (MAX_REQUEST_BYTES + 10)})
    assert big.status_code == 413
    leak = client.get("/?patient_name=Someone")
    assert leak.status_code == 400
    form = client.post("/print", data={"drug": "nosuchdrug"})
    assert form.status_code == 400 and form.mimetype == "text/html"
    assert "unknown drug" in form.get_data(as_text=True)


@pytest.mark.slow
def test_stopping_the_server_stops_its_workers_and_removes_their_files(tmp_path):
    # A service manager stops the server with SIGTERM. Its render workers must stop with
    # it (left alone they would run for good), and so must the process they fork from,
    # which removes what it put in the temporary folder (WeasyPrint's copies of a clinic's
    # fonts, its own files).
    temp = tmp_path / "tmp"
    temp.mkdir()

    def ours():  # (the fontconfig cache is kept on purpose, one per user)
        return sorted(
            p.name for p in temp.iterdir() if not p.name.startswith("handouts-fontconfig-")
        )

    with running_server(tmp_path, env={"TMPDIR": str(temp)}) as (url, log, process):
        with urllib.request.urlopen(url + "/api/catalog", timeout=30) as response:
            assert response.status == 200
    assert process.returncode == 0, log.read_text()
    deadline = time.monotonic() + 10
    while ours() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ours() == []


def test_one_worker_renders_concurrent_requests_in_turn(blinatumomab):
    # `serve --workers 1` renders in the server's request threads (InlineExecutor); one
    # process's kept layouts and WeasyPrint are not made for threads, so they take turns.
    executor = make_executor("local", 1)
    names = ["Ann Lee", "Bo Chen", "Cy Diaz", "Di Evans"]
    start = threading.Barrier(len(names))
    results = {}

    def request(name, lang):
        jobs = [
            Job(blinatumomab, lang, kind, personal=Personal(name, f"Dr {name}"))
            for kind in ("handout", "card")
        ]
        start.wait()
        try:
            results[name] = executor.submit(render_together, jobs, ()).result()
        except BaseException as error:
            results[name] = error

    threads = [
        threading.Thread(target=request, args=(name, lang))
        for name, lang in zip(names, ["en", "es", "en", "fr"], strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name in names:
        pdf, _, _, error = results[name]
        assert not error
        text = pdf_text(pdf)
        assert name in text and f"Dr {name}" in text
        assert not [other for other in names if other != name and other in text]


def test_inline_tasks_run_one_at_a_time_whatever_thread_submits_them():
    executor, running, most = make_executor("local", 1), [], []

    def task():
        running.append(1)
        most.append(len(running))
        time.sleep(0.02)
        running.pop()

    threads = [threading.Thread(target=lambda: executor.submit(task).result()) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == [1, 1, 1, 1]


def test_a_render_collects_only_its_own_thread_s_warnings():
    catcher = WeasyPrintWarnings()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(catcher)
    try:
        other = threading.Thread(target=logger.warning, args=("another render's warning",))
        other.start()
        other.join()
        logger.warning("this render's warning")
    finally:
        logger.removeHandler(catcher)
    assert catcher.messages == ["this render's warning"]
