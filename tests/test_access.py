"""Who may print: loopback by default, a signing-in proxy's user header or a bearer token
otherwise; no cross-site POST; only this service's host names."""

import json
import urllib.error
import urllib.request

import pytest

from handouts.access import AccessPolicy, make_policy
from handouts.batch import InlineExecutor
from handouts.errors import HandoutsError
from handouts.locations import CONTENT_DIR
from handouts.web import SECURITY_HEADERS, create_app

from .conftest import run_cli, running_server

TOKEN = "k3Xq9-" + "t" * 40
CARD = {"drug": "blinatumomab", "lang": "en", "kinds": ["card"]}


def client(policy: AccessPolicy | None = None, remote: str = "127.0.0.1"):
    web = create_app(CONTENT_DIR, InlineExecutor(), policy=policy).test_client()
    web.environ_base["REMOTE_ADDR"] = remote
    return web


@pytest.fixture(scope="module")
def token_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("secret") / "token"
    path.write_text(TOKEN + "\n")
    return path


@pytest.fixture(scope="module")
def token_policy(token_file):
    return make_policy("0.0.0.0", token_file, None, (), ("handouts.ward.example",))


@pytest.fixture(scope="module")
def proxy_policy():
    return make_policy("10.0.0.2", None, "X-Forwarded-User", ("10.0.0.5",), ())


def test_a_page_of_another_site_cannot_make_a_browser_print():
    web = client()
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/form.html"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://localhost"},
        {"Origin": "http://localhost:8001"},  # another service on the same machine
    ):
        response = web.post("/api/documents", json=CARD, headers=headers)
        assert response.status_code == 403, headers
        assert "another site" in response.get_json()["error"]
        form = web.post("/print", data={"drug": "blinatumomab"}, headers=headers)
        assert form.status_code == 403 and form.mimetype == "text/html"
        for name, value in SECURITY_HEADERS.items():
            assert form.headers[name] == value


def test_its_own_page_and_clients_that_are_not_browsers_may_print():
    web = client()
    for headers in (
        {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
        {"Referer": "http://localhost/"},
        {},  # curl, an EHR's back end: no browser to be tricked
    ):
        response = web.post("/api/documents", json=CARD, headers=headers)
        assert response.status_code == 200, (headers, response.get_data(as_text=True))
        assert response.data.startswith(b"%PDF")


def test_an_unknown_host_name_is_refused():
    # A DNS-rebinding page reaches a loopback server under its own host name.
    response = client().get("/api/catalog", headers={"Host": "attacker.example"})
    assert response.status_code == 400
    assert response.get_json()["error"]
    assert client().get("/api/catalog", headers={"Host": "127.0.0.1:8000"}).status_code == 200


def test_a_bearer_token_opens_the_api(token_policy):
    web = client(token_policy, remote="192.0.2.7")
    response = web.get("/api/catalog")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "sign in" in response.get_json()["error"]
    assert web.get("/api/catalog", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert web.get("/", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    good = {"Authorization": f"Bearer {TOKEN}"}
    assert web.get("/api/catalog", headers=good).status_code == 200
    assert (
        web.get("/api/catalog", headers={**good, "Host": "handouts.ward.example"}).status_code
        == 200
    )
    assert web.get("/api/catalog", headers={**good, "Host": "other.example"}).status_code == 400
    # The probes of a load balancer carry no credentials, and say nothing of patients.
    assert web.get("/healthz").status_code == 200
    assert web.get("/readyz").status_code == 200


def test_a_signing_in_proxy_names_the_user(proxy_policy):
    signed_in = {"X-Forwarded-User": "nurse.lee", "Host": "10.0.0.2"}
    assert client(proxy_policy, "10.0.0.5").get("/", headers=signed_in).status_code == 200
    # Only the proxy may say who the user is.
    assert client(proxy_policy, "10.0.0.9").get("/", headers=signed_in).status_code == 401
    no_user = {"Host": "10.0.0.2"}
    assert client(proxy_policy, "10.0.0.5").get("/", headers=no_user).status_code == 401
    page = client(proxy_policy, "10.0.0.9").get("/", headers=signed_in)
    assert page.mimetype == "text/html"


@pytest.mark.parametrize(
    "args, message",
    [
        (("0.0.0.0", None, None, (), ()), "without signing in"),
        (("10.1.2.3", None, None, (), ()), "--trust-user-header X-Forwarded-User"),
        (("0.0.0.0", None, "X-Forwarded-User", (), ()), "needs --trusted-proxy"),
        (("0.0.0.0", None, None, ("10.0.0.5",), ()), "used with --trust-user-header"),
        (("0.0.0.0", None, "X-Forwarded-User", ("proxy.example",), ()), "not an IP address"),
    ],
)
def test_configurations_that_would_expose_patient_data_are_refused(args, message):
    with pytest.raises(HandoutsError, match=message):
        make_policy(*args)


def test_a_short_or_missing_token_file_is_refused(tmp_path):
    short = tmp_path / "short"
    short.write_text("secret")
    with pytest.raises(HandoutsError, match="at least 32 random characters"):
        make_policy("0.0.0.0", short, None, (), ())
    with pytest.raises(HandoutsError, match="cannot read it"):
        make_policy("0.0.0.0", tmp_path / "absent", None, (), ())


def test_serve_on_the_network_without_authentication_does_not_start():
    result = run_cli("serve", "--host", "0.0.0.0", "--port", "8999")
    assert result.returncode != 0
    assert "without signing in" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("\n") <= 2


@pytest.mark.slow
def test_a_real_server_with_a_token(tmp_path, token_file):
    with running_server(tmp_path, "--token-file", token_file) as (url, _, _):
        request = urllib.request.Request(url + "/api/catalog")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 401
        assert json.loads(refused.value.read())["error"]
        request.add_header("Authorization", f"Bearer {TOKEN}")
        with urllib.request.urlopen(request, timeout=30) as response:
            assert json.loads(response.read())["drugs"]
