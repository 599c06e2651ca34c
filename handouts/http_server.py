"""The one door to waitress: the server the web app runs on, with its own error replies.

waitress answers some requests itself, before the app sees them: a malformed request
line or header, headers or a body over its limits. Its replies are plain text without
the app's security headers. Here a channel class of our own gives waitress an error task
that writes the app's body (JSON for the API, the HTML error page otherwise) with the
app's headers. This uses waitress internals (HTTPChannel.error_task_class, the server's
channel_class, ErrorTask's fields, the request parser's path and first_line);
tests/test_web_errors.py fails if they change.
"""

from collections.abc import Callable, Mapping
from typing import Any

from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer
from waitress.server import create_server as _waitress_server
from waitress.task import ErrorTask

# (status code, the request's path or "", whether the request is JSON) -> (content
# type, body). The path only chooses the format: it is never written into the body.
ErrorBody = Callable[[int, str, bool], tuple[str, bytes]]


def create_server(
    app: Any,
    host: str,
    port: int,
    error_body: ErrorBody,
    headers: Mapping[str, str],
    **settings: Any,
) -> Any:
    """waitress's server for app on host:port, its error replies written by error_body
    with headers added. settings: any of waitress's own (threads, ident, limits), passed
    through. Call .run() on the result."""
    for owner, name in ((HTTPChannel, "error_task_class"), (BaseWSGIServer, "channel_class")):
        if not hasattr(owner, name):  # a waitress that changed underneath
            raise RuntimeError(f"waitress has no {owner.__name__}.{name}; see http_server.py")

    class Task(ErrorTask):
        def execute(self) -> None:
            code = self.request.error.code
            # A request whose headers could not be read has no path yet: its first line
            # still names it.
            path = getattr(self.request, "path", None)
            if path is None:
                path = _path_of(getattr(self.request, "first_line", b""))
            kind = self.request.headers.get("CONTENT_TYPE", "")
            is_json = kind.split(";")[0].strip().lower() == "application/json"
            content_type, body = error_body(code, path, is_json)
            self.status = f"{code} {self.request.error.reason}"
            self.response_headers.extend([("Content-Type", content_type), *headers.items()])
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    class Channel(HTTPChannel):
        error_task_class = Task

    sockets: dict = {}
    server = _waitress_server(app, map=sockets, host=host, port=port, **settings)
    # One server per address it listens on, all in the socket map.
    for listener in [server, *sockets.values()]:
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = Channel
    return server


def _path_of(first_line: bytes) -> str:
    """The path in a request line ("POST /api/documents HTTP/1.1"), or ""."""
    parts = first_line.split(b" ")
    return parts[1].decode("latin-1") if len(parts) == 3 else ""
