"""Who may use the discharge service, and from which pages.

Secure by default: on a loopback address nobody else can reach it. To listen on any
other address the operator must say how users are authenticated: a reverse proxy that
signs users in (single sign-on, e.g. oauth2-proxy) and passes the user's name in a
header, trusted only from the proxy's own addresses; and/or a shared bearer token for API
clients (an electronic health record, a script).

Whatever the authentication, a browser on another site must not be able to make a
signed-in nurse's browser print (cross-site request forgery): a POST is refused when
the browser says it comes from another origin. The Host header must name this service
(Flask's TRUSTED_HOSTS), so a DNS-rebinding page cannot talk to a loopback server.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .errors import HandoutsError

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")
# Always open: a load balancer probes them without credentials; they say nothing of patients.
OPEN_PATHS = ("/healthz", "/readyz")


@dataclass(frozen=True)
class AccessPolicy:
    token: str = ""  # a shared bearer token, or none
    user_header: str = ""  # the header a signing-in proxy sets, e.g. X-Forwarded-User
    proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    hosts: tuple[str, ...] = LOOPBACK_NAMES

    @property
    def required(self) -> bool:
        return bool(self.token or self.user_header)

    def user(self, headers, remote_addr: str | None) -> str | None:
        """The authenticated user ("token" for the shared token), or None."""
        given = headers.get("Authorization", "")
        if self.token and given[:7].lower() == "bearer ":
            if hmac.compare_digest(given[7:].strip().encode(), self.token.encode()):
                return "token"
        if self.user_header and self._from_proxy(remote_addr):
            name = headers.get(self.user_header, "").strip()
            if name:
                return name
        return None

    def _from_proxy(self, remote_addr: str | None) -> bool:
        try:
            address = ipaddress.ip_address(remote_addr or "")
        except ValueError:
            return False
        return any(address in network for network in self.proxies)


def make_policy(
    host: str,
    token_file: Path | None,
    user_header: str | None,
    proxies: tuple[str, ...],
    allowed_hosts: tuple[str, ...],
) -> AccessPolicy:
    """The policy for `serve`'s options; refuses, with what to do, a configuration that
    would put patient data on the network unauthenticated."""
    token = ""
    if token_file is not None:
        try:
            token = token_file.read_text().strip()
        except OSError as error:
            raise HandoutsError(
                f"--token-file {token_file}: cannot read it ({error.strerror}); write the "
                "token alone in a file only the service's user can read"
            ) from None
        if len(token) < 32:
            raise HandoutsError(
                f"--token-file {token_file}: the token is {len(token)} characters long; use "
                "at least 32 random characters, e.g. from: python3 -c "
                '"import secrets; print(secrets.token_urlsafe(32))"'
            )
    if user_header and not proxies:
        raise HandoutsError(
            "--trust-user-header needs --trusted-proxy ADDRESS: the header is believed only "
            "from the signing-in proxy's addresses (anyone else could send it)"
        )
    if proxies and not user_header:
        raise HandoutsError(
            "--trusted-proxy is used with --trust-user-header HEADER (the header in which "
            "the proxy names the signed-in user, e.g. X-Forwarded-User)"
        )
    networks = []
    for proxy in proxies:
        try:
            networks.append(ipaddress.ip_network(proxy, strict=False))
        except ValueError:
            raise HandoutsError(
                f"--trusted-proxy {proxy}: not an IP address or network (e.g. 10.0.0.5 or "
                "10.0.0.0/24)"
            ) from None
    if not is_loopback(host) and not (token or user_header):
        raise HandoutsError(
            f"--host {host} would let anyone on the network print, and read patient details "
            "from the requests, without signing in. Configure authentication: "
            "--trust-user-header X-Forwarded-User --trusted-proxy PROXY_ADDRESS behind a "
            "signing-in reverse proxy, and/or --token-file FILE for API clients (README: "
            "'Running it for a ward')"
        )
    hosts = LOOPBACK_NAMES + tuple(allowed_hosts)
    if not is_loopback(host) and host not in ("0.0.0.0", "::"):
        hosts += (host,)
    return AccessPolicy(token, user_header or "", tuple(networks), hosts)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def cross_site(headers, host: str) -> bool:
    """Whether a browser says this request comes from a page of another origin. Clients
    that are not browsers send neither header, and cannot be made to act for a user."""
    fetch_site = headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    source = headers.get("Origin") or headers.get("Referer")
    if not source:
        return False
    if source == "null":  # an opaque origin: a sandboxed frame, a file, a redirect
        return True
    return _netloc(urlsplit(source)) != _netloc(urlsplit("//" + host))


def _netloc(parts) -> str:
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = parts.port if parts.port not in (None, default) else None
    name = (parts.hostname or "").lower()
    return f"{name}:{port}" if port else name
