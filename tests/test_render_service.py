"""The web server's render workers, and the multiprocessing internals they rely on
(worker_pool.py): real processes forked from the fork server."""

import os
import signal
import time

import pytest

from handouts.render_service import Busy, RenderService, Unavailable
from handouts.worker_pool import LocalPool, fork_server_pid

pytestmark = pytest.mark.slow


@pytest.fixture
def service():
    renders = RenderService(lambda: LocalPool(1), capacity=2, workers=1, deadline=4.0)
    yield renders
    renders.shutdown()


def test_the_pool_internals_it_reads_are_there():
    pool = LocalPool(1)
    try:
        worker = pool.submit(os.getpid).result(timeout=60)
        assert pool.worker_pids() == [worker] and pool.workers_alive() and not pool.broken
        server = fork_server_pid()
        assert server and os.waitpid(server, os.WNOHANG) == (0, 0)  # running, ours
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not pool.broken:
            assert time.monotonic() < deadline, "a dead worker did not mark its pool broken"
            time.sleep(0.05)
        assert pool.wind_up() == {worker: -signal.SIGKILL}
    finally:
        pool.shutdown(wait=True)


def test_a_stuck_document_is_stopped_and_its_worker_replaced(service, caplog):
    first = service.render(os.getpid)
    start = time.monotonic()
    with pytest.raises(Unavailable, match="took longer than 4 s"):
        service.render(time.sleep, 60)
    assert time.monotonic() - start < 12
    assert service.render(os.getpid) != first
    assert service.incidents == 1
    assert "took longer than 4 s; its render process is stopped" in caplog.text


def test_a_full_queue_refuses_at_once(service):
    import threading

    sleepers = [threading.Thread(target=service.render, args=(time.sleep, 1.5)) for _ in range(2)]
    for thread in sleepers:
        thread.start()
    time.sleep(0.3)
    start = time.monotonic()
    with pytest.raises(Busy):
        service.render(os.getpid)
    assert time.monotonic() - start < 0.1
    for thread in sleepers:
        thread.join()
    assert service.render(os.getpid)
