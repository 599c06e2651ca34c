"""Every way the service refuses a request: strict input, one clear message, no patient
detail in any response or log line, and every error well-formed with the security
headers, waitress's own replies included (a real server, raw sockets)."""

import json
import logging
import re
import socket
import urllib.error
import urllib.request

import pytest

from handouts.batch import InlineExecutor
from handouts.locations import CONTENT_DIR
from handouts.web import MAX_REQUEST_BYTES, SECURITY_HEADERS, create_app

from .conftest import running_server

MYANMAR = "\u103f" * 80  # one wide letter, no break between: past the card at 80
# (field, value, status, what the message says): each value is refused, and appears
# nowhere, not in part and not as a code point.
REFUSED = [
    ("patient_name", "Quillon" * 11 + "xxxx", 400, "at most 80 characters"),
    ("patient_name", "Ann\u202eLee Smith", 400, "control, invisible or direction-changing"),
    ("patient_name", "Rosa\u200bMaria Quispe", 400, "control, invisible or direction-changing"),
    ("care_team", "Ward\n7 Northeast", 400, "control, invisible or direction-changing"),
    ("phone", "Zebedee Quarrie", 400, "may hold only digits"),
    ("start_date", "2026-02-30", 400, "is not a real date"),
    ("start_date", "1901-01-01", 400, "not a plausible treatment start date"),
    ("patient_name", "Ivo \ue000 Petrov", 400, "cannot be printed (private-use or unassigned)"),
    ("patient_name", "Snow \U0001f9a0 Manfred", 422, "cannot be printed (no bundled font has it)"),
    ("patient_name", MYANMAR, 422, "too long to fit on the card; only its first"),
    ("care_team", "\u103f" * 60, 422, "too long to fit on the card; only its first"),
    ("phone", "0" * 40, 422, "too long to fit on the card; only its first"),
]


def leaks(text: str, value: str) -> list[str]:
    """What of value text holds: the value, a piece of 4 characters or more, or the
    U+XXXX of one of its characters."""
    pieces = {value[i : i + 4] for i in range(len(value) - 3)}
    found = [piece for piece in pieces if piece.strip() and piece in text]
    found += [f"U+{ord(ch):04X}" for ch in value if f"U+{ord(ch):04X}" in text.upper()]
    return found + ([value] if value in text else [])


def test_the_leak_check_can_fail():
    assert leaks("a name: Snow \U0001f9a0 Man", "Snow \U0001f9a0 Manfred")
    assert leaks("character U+1F9A0", "x\U0001f9a0")
    assert not leaks("personalization.patient_name: retype it", "Snow \U0001f9a0 Manfred")


@pytest.fixture(scope="module")
def client():
    app = create_app(CONTENT_DIR, InlineExecutor())
    app.testing = True
    return app.test_client()


def assert_well_formed(response, status: int, json_body: bool) -> str:
    assert response.status_code == status
    for header, value in SECURITY_HEADERS.items():
        assert response.headers[header] == value
    if json_body:
        assert response.mimetype == "application/json"
        error = response.get_json()["error"]
        assert isinstance(error, str) and error
        return error
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<p class="error" role="alert">' in html and "Traceback" not in html
    return html


@pytest.mark.parametrize("field, value, status, message", REFUSED)
def test_a_refused_detail_is_named_never_quoted(client, caplog, field, value, status, message):
    caplog.set_level(logging.DEBUG)
    base = {"drug": "blinatumomab", "lang": "en"}
    api = client.post(
        "/api/documents",
        json={**base, "kinds": ["handout", "card"], "personalization": {field: value}},
    )
    form = client.post("/print", data={**base, "kinds": "card", field: value})
    for response, is_json in ((api, True), (form, False)):
        text = assert_well_formed(response, status, is_json)
        assert f"personalization.{field}: " in text or f"{field}: " in text
        assert message in text
        assert leaks(text, value) == []
    assert leaks(caplog.text, value) == []


def test_an_unexpected_error_is_logged_without_details(caplog):
    caplog.set_level(logging.DEBUG)

    class Failing(InlineExecutor):
        def submit(self, fn, *args, **kwargs):
            raise ValueError(f"could not place {args[0][0].personal.patient_name!s}")

    app = create_app(CONTENT_DIR, Failing())
    name = "Zephyrine Quackenbush"
    body = {"drug": "blinatumomab", "personalization": {"patient_name": name}}
    api = app.test_client().post("/api/documents", json=body)
    error = assert_well_formed(api, 500, True)
    assert error == "could not make the document; the error is logged without patient details"
    form = app.test_client().post("/print", data={"drug": "blinatumomab", "patient_name": name})
    assert "logged without patient details" in assert_well_formed(form, 500, False)
    lines = [r.getMessage() for r in caplog.records if r.name == "handouts.web"]
    assert len(lines) == 2 and all(line.startswith("unexpected ValueError at ") for line in lines)
    assert "POST /api/documents" in lines[0] and "POST /print" in lines[1]
    assert leaks(caplog.text, name) == [] and "Traceback" not in caplog.text


@pytest.mark.parametrize(
    "body, message",
    [
        ({"large_print": "yes"}, "large_print: Input should be a valid boolean"),
        ({"large_print": 1}, "large_print: Input should be a valid boolean"),
        ({"drug": 5}, "drug: Input should be a valid string"),
        ({"kinds": "card"}, "kinds: Input should be a valid list"),
        ({"kinds": ["card", "card"]}, "kinds: name each kind once"),
        ({"personalization": {"patient_name": 7}}, "patient_name: Input should be a valid string"),
        (
            {"personalization": {"start_date": 20261102}},
            'start_date: must be a date written as "YYYY-MM-DD"',
        ),
        ({"personalization": {"start_date": "2026-11-02T00:00"}}, "start_date: must be a date"),
        ({"personalization": {"start_date": "02/11/2026"}}, "start_date: must be a date"),
        ({"personalization": []}, "personalization: Input should be a valid dictionary"),
        ({"personalization": {"Zephyrine Q": "x"}}, "personalization.(a key): Extra inputs"),
    ],
)
def test_types_are_never_coerced(client, body, message):
    response = client.post("/api/documents", json={"drug": "blinatumomab", **body})
    error = assert_well_formed(response, 400, True)
    assert message in error
    assert "Zephyrine" not in error


@pytest.mark.parametrize(
    "raw, message",
    [
        ("[" * 1200 + "]" * 1200, "nested more than 4 levels deep"),
        ('{"drug": ' + "[" * 1200 + "]" * 1200 + "}", "nested more than 4 levels deep"),
        ('{"drug": "blinatumomab",', "not valid JSON (line 1, column 25)"),
        ('{"drug": "blinatumomab", "drug": "x"}', "a key appears twice"),
        ('{"drug": "blinatumomab", "lang": NaN}', "NaN is not a number JSON allows"),
        ('["blinatumomab"]', "must be a JSON object"),
        ("", "not valid JSON"),
    ],
)
def test_malformed_json_is_a_400(client, raw, message):
    response = client.post("/api/documents", data=raw, content_type="application/json")
    assert message in assert_well_formed(response, 400, True)


def test_invalid_utf8_is_a_400(client):
    response = client.post(
        "/api/documents", data=b'{"drug": "\xff"}', content_type="application/json"
    )
    assert "not UTF-8" in assert_well_formed(response, 400, True)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"large_print": "yes"}, "large_print: a checkbox is &#34;on&#34; or left out"),
        ({"kinds": "poster"}, "kinds: must be one of handout, card, both"),
        ({"kinds": ["card", "handout"]}, "kinds: given more than once"),
        ({"colour": "red"}, "unknown form field colour"),
        ({"start_date": "2 Nov 2026"}, "personalization.start_date: must be a date"),
    ],
)
def test_the_form_is_as_strict(client, data, message):
    response = client.post("/print", data={"drug": "blinatumomab", **data})
    assert message in assert_well_formed(response, 400, False)


def test_every_status_is_well_formed(client):
    assert_well_formed(client.get("/nowhere"), 404, False)
    assert_well_formed(client.get("/api/nowhere"), 404, True)
    api_405 = client.get("/api/documents")
    assert_well_formed(api_405, 405, True)
    assert "POST" in api_405.headers["Allow"]
    assert_well_formed(client.put("/print"), 405, False)
    big = {"drug": "x" * MAX_REQUEST_BYTES}
    assert_well_formed(client.post("/api/documents", json=big), 413, True)
    form = client.post("/print", data={"drug": "x" * MAX_REQUEST_BYTES})
    assert_well_formed(form, 413, False)
    assert_well_formed(client.post("/print", json={"drug": "blinatumomab"}), 400, True)


# --- A real server: its own replies, and a refusal's trace in its log -----------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("server")) as (url, log, _):
        yield url.removeprefix("http://").split(":"), log


def raw(address, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are and read the reply: status, headers, body."""
    host, port = address
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.slow
@pytest.mark.parametrize(
    "request_bytes, status, is_json",
    [
        # A header line without a colon: waitress refuses it before the app sees it.
        (b"POST /api/documents HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n", 400, True),
        (b"GET / HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n", 400, False),
        # A body larger than waitress lets in.
        (
            b"POST /api/documents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {MAX_REQUEST_BYTES * 4}\r\n\r\n".encode(),
            413,
            True,
        ),
        (
            b"POST /print HTTP/1.1\r\nHost: x\r\n"
            + f"Content-Length: {MAX_REQUEST_BYTES + 1}\r\n\r\n".encode(),
            413,
            False,
        ),
        # Headers longer than waitress reads (262144 bytes): its reply cannot know the
        # path, so it is the page's. All of it is sent before the reply (no reset).
        (
            b"GET /api/catalog HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 262_200 + b"\r\n\r\n",
            431,
            False,
        ),
        (b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, False),
    ],
)
def test_waitress_own_replies_are_well_formed(server, request_bytes, status, is_json):
    address, _ = server
    got, headers, body = raw(address, request_bytes)
    assert got == status
    for header, value in SECURITY_HEADERS.items():
        assert headers[header.lower()] == value
    assert int(headers["content-length"]) == len(body)
    if is_json:
        assert headers["content-type"] == "application/json"
        assert json.loads(body)["error"]
    else:
        assert headers["content-type"].startswith("text/html")
        assert b'<p class="error" role="alert">' in body
    assert b"generated by" not in body and b"waitress" not in body.lower()


@pytest.mark.slow
def test_a_real_server_refuses_without_quoting_details(server):
    address, log = server
    url = f"http://{':'.join(address)}"
    for field, value, status, message in (REFUSED[1], REFUSED[8], REFUSED[9]):
        body = {"drug": "blinatumomab", "kinds": ["card"], "personalization": {field: value}}
        request = urllib.request.Request(
            url + "/api/documents",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=60)
        text = refused.value.read().decode()
        assert refused.value.code == status and message in text
        assert leaks(text, value) == []
    nested = urllib.request.Request(
        url + "/api/documents",
        data=b"[" * 1200 + b"]" * 1200,
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(nested, timeout=60)
    assert refused.value.code == 400
    assert "nested" in json.loads(refused.value.read())["error"]
    # The time each line starts with is the server's, not the request's.
    server_log = re.sub(r"(?m)^[0-9-]{10} [0-9:,]{12} ", "", log.read_text())
    assert "Traceback" not in server_log
    for _, value, _, _ in REFUSED:
        assert leaks(server_log, value) == []


def test_a_refusal_that_quotes_a_detail_is_withheld(caplog):
    # A last check in the web layer: should a message of the pipeline ever quote a
    # detail, it is not sent.
    class Quoting(InlineExecutor):
        def submit(self, fn, *args, **kwargs):
            return super().submit(lambda: (None, 0, (), "card: Quackenbush does not fit"))

    app = create_app(CONTENT_DIR, Quoting())
    body = {"drug": "blinatumomab", "personalization": {"patient_name": "Zeph Quackenbush"}}
    error = assert_well_formed(app.test_client().post("/api/documents", json=body), 422, True)
    assert error == "these details cannot be printed; shorten or retype them"
    assert "Quackenbush" not in caplog.text
