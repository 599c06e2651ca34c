"""The discharge service under faults and load, as a ward meets them: a render worker or
the fork server killed, `serve` and `build` killed outright, more requests than workers,
clients that hang up, and many slow connections. Real servers on loopback."""

import concurrent.futures
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import REPOSITORY, running_server
from .processes import alive, command_line, descendants, table

pytestmark = pytest.mark.slow

CARD = {"drug": "blinatumomab", "lang": "en", "kinds": ["card"]}
HANDOUT = {"drug": "inotuzumab-ozogamicin", "lang": "ru", "kinds": ["handout", "card"]}


def post(url: str, body: dict, timeout: float = 60) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(
        url + "/api/documents",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def get(url: str, path: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url + path, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_ready(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while get(url, "/readyz")[0] != 200:
        assert time.monotonic() < deadline, "the server never became ready"
        time.sleep(0.2)


def workers_of(server: int) -> list[int]:
    """The render workers: children of the fork server, the server's child."""
    return [
        pid
        for pid in descendants(server)
        if "forkserver" in command_line(pid) and table().get(pid, (0,))[0] != server
    ]


def fork_server_of(server: int) -> int:
    (pid,) = [
        pid
        for pid, (parent, _) in table().items()
        if parent == server and "forkserver" in command_line(pid)
    ]
    return pid


def test_a_killed_worker_is_replaced_and_the_requests_it_held_are_made(tmp_path):
    with running_server(tmp_path, "--workers", "2") as (url, log, server):
        wait_ready(url)
        results: list[tuple[float, int]] = []
        stop = threading.Event()

        def client(body):
            while not stop.is_set():
                status = post(url, body)[0]
                results.append((time.monotonic(), status))

        threads = [threading.Thread(target=client, args=(body,)) for body in (CARD, HANDOUT) * 2]
        for thread in threads:
            thread.start()
        time.sleep(2)
        victims = workers_of(server.pid)
        assert victims, "no render worker found"
        killed_at = time.monotonic()
        os.kill(victims[0], signal.SIGKILL)
        time.sleep(4)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        after = [status for at, status in results if at > killed_at]
        # Requests in flight at the kill are tried again on the new pool: none is lost.
        assert after and all(status == 200 for status in after), after
        assert get(url, "/healthz") == (
            200,
            {"status": "ok", "renders": 0, "limit": 6, "incidents": 1},
        )
        text = log.read_text()
        assert text.count("a render process stopped (ended by signal 9)") == 1, text
        assert "Traceback" not in text


def test_a_killed_fork_server_is_started_again(tmp_path):
    with running_server(tmp_path, "--workers", "1") as (url, log, server):
        wait_ready(url)
        first = fork_server_of(server.pid)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while "the fork server stopped; started again" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        assert fork_server_of(server.pid) != first
        for worker in workers_of(server.pid):  # new workers must come from the new server
            os.kill(worker, signal.SIGKILL)
        assert post(url, CARD)[0] == 200
        assert get(url, "/healthz")[0] == 200


def _no_process_left(pids: list[int], timeout: float = 10) -> list[int]:
    deadline = time.monotonic() + timeout
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [f"{pid}: {command_line(pid)}" for pid in alive(pids)]


@pytest.fixture
def temp():
    """A temporary folder of its own, with a path short enough for a socket inside it."""
    folder = Path(tempfile.mkdtemp(prefix="handouts-test-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_sigkill_of_serve_leaves_no_process_and_the_next_start_removes_its_folder(tmp_path, temp):
    with running_server(tmp_path, "--workers", "2", env={"TMPDIR": str(temp)}) as (
        url,
        _,
        server,
    ):
        wait_ready(url)
        assert post(url, HANDOUT)[0] == 200
        family = descendants(server.pid)
        assert len(family) >= 3  # resource tracker, fork server, workers
        server.kill()
        server.wait()
        assert _no_process_left(family) == []
    left = sorted(p.name for p in temp.iterdir() if not p.name.startswith("handouts-fontconfig-"))
    assert left == [f"handouts-run-{server.pid}"]
    with running_server(tmp_path, env={"TMPDIR": str(temp)}) as (url, _, again):
        names = {p.name for p in temp.iterdir()}
        assert f"handouts-run-{server.pid}" not in names
        assert f"handouts-run-{again.pid}" in names


def test_sigkill_of_build_leaves_no_process(tmp_path, temp):
    out = tmp_path / "out"
    build = subprocess.Popen(
        [sys.executable, "-m", "handouts", "build", "--all", "--jobs", "2", "--out", str(out)],
        cwd=REPOSITORY,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "TMPDIR": str(temp)},
    )
    try:
        deadline = time.monotonic() + 120
        while len(workers_of(build.pid)) < 2:
            assert build.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1)
        family = descendants(build.pid)
    finally:
        build.kill()
        build.wait()
    assert _no_process_left(family) == []
    assert [p.name for p in temp.iterdir() if p.name.startswith("handouts-run-")] == [
        f"handouts-run-{build.pid}"
    ]


def test_beyond_the_queue_a_request_is_refused_at_once_with_retry_after(tmp_path):
    with running_server(tmp_path, "--workers", "1", "--queue", "2") as (url, log, _):
        wait_ready(url)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: post(url, HANDOUT), range(8)))
        statuses = sorted(status for status, _, _ in answers)
        assert 200 in statuses and 503 in statuses, statuses
        for status, headers, body in answers:
            if status == 503:
                assert headers["Retry-After"] == "2"
                assert headers["Content-Type"] == "application/json"
                assert "busy" in json.loads(body)["error"]
        assert statuses.count(200) == log.read_text().count("rendered inotuzumab-ozogamicin/ru")


def test_work_for_a_client_that_hung_up_is_dropped(tmp_path):
    with running_server(tmp_path, "--workers", "1", "--queue", "20") as (url, log, _):
        wait_ready(url)
        port = int(url.rsplit(":", 1)[1])
        body = json.dumps(HANDOUT).encode()
        raw = (
            b"POST /api/documents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        keep = socket.create_connection(("127.0.0.1", port))
        keep.sendall(raw)  # holds the one worker for a while
        time.sleep(0.1)
        for _ in range(6):  # queued behind it, then abandoned
            with socket.create_connection(("127.0.0.1", port)) as gone:
                gone.sendall(raw)
        assert keep.recv(12) == b"HTTP/1.1 200"
        keep.close()
        assert post(url, CARD)[0] == 200
        time.sleep(0.5)
        rendered = log.read_text().count("rendered inotuzumab-ozogamicin/ru")
        assert rendered <= 2, log.read_text()  # the first, and at most one already running


def test_150_slow_connections_do_not_lock_out_a_nurse(tmp_path):
    with running_server(tmp_path, "--workers", "1") as (url, _, _):
        wait_ready(url)
        port = int(url.rsplit(":", 1)[1])
        slow = []
        try:
            for _ in range(150):  # each sends half a request line, then nothing
                sock = socket.create_connection(("127.0.0.1", port))
                sock.sendall(b"POST /api/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-")
                slow.append(sock)
            for _ in range(3):
                start = time.monotonic()
                assert post(url, CARD, timeout=10)[0] == 200
                assert get(url, "/api/catalog")[0] == 200
                assert time.monotonic() - start < 5
        finally:
            for sock in slow:
                sock.close()


def test_health_and_readiness(tmp_path):
    with running_server(tmp_path, "--workers", "1") as (url, _, _):
        wait_ready(url)
        status, health = get(url, "/healthz")
        assert status == 200 and health["status"] == "ok"
        time.sleep(5.5)  # nothing rendered lately: the check renders a test card itself
        start = time.monotonic()
        assert get(url, "/healthz")[0] == 200
        assert time.monotonic() - start < 2
