"""HTTP to addresses an organization admin typed in, without reaching Roster's own network (SSRF).

An endpoint URL must be https (http only when DEBUG). Every connection resolves the host once,
vets each address with `vet_address` and connects to that vetted address itself (the socket is
opened here, not by a second lookup), so a name that resolves to a public address when checked
and to 127.0.0.1 when connected (DNS rebinding) cannot slip through. The Host header, TLS SNI and
certificate check still use the hostname. Redirects are never followed, and no proxy from the
environment is used (a proxy would connect on our behalf, unvetted).

Refused: loopback, private, link-local (169.254.169.254, cloud metadata), multicast, reserved,
unspecified and other non-global addresses, IPv4 written as IPv6 (::ffff:127.0.0.1) included, 6to4
(2002::/16, which carries any IPv4 address) and Azure's platform address 168.63.129.16; and every port
not in `OUTGOING_WEBHOOKS_ALLOWED_PORTS` (443 and 80 by default; the scheme's default port counts).
A name that resolves to a refused address is refused without saying what it resolved to (that would
tell anyone how Roster's own network looks). `OUTGOING_WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true` (tests,
on-premises installs) allows loopback and private addresses and any port; link-local, multicast,
reserved, unspecified, 6to4 and Azure's address stay refused.

The answer is read streamed: at most MAX_RESPONSE_BYTES (64 KiB) of its body are kept, the rest is
never read (the connection is closed), so a receiver answering gigabytes costs a worker nothing.

No maintained library does this for requests + urllib3 2 (advocate is unmaintained since 2020),
hence this small module: connection classes whose `_new_conn` does the vetting, mounted on a
requests adapter (so `responses` still mocks it in tests).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util import connection as urllib3_connection

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_RESPONSE_BYTES = 64 * 1024  # of a receiver's answer kept; the rest is not read
_READ_CHUNK = 16 * 1024
# Global by the registries' lists, but never an endpoint of ours, whatever the settings.
ALWAYS_REFUSED = (
    (ipaddress.ip_network("2002::/16"), "a 6to4 address (it can carry any IPv4 address)"),
    (ipaddress.ip_network("168.63.129.16/32"), "Azure's platform address (its metadata service)"),
)
DEFAULT_PORTS = {"https": 443, "http": 80}


class UnsafeUrl(Exception):
    """Roster will not connect there; `reason` says why, in words an admin understands."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def allow_private() -> bool:
    return bool(getattr(settings, "OUTGOING_WEBHOOKS_ALLOW_PRIVATE_NETWORKS", False))


def allowed_ports() -> list[int]:
    return [int(p) for p in getattr(settings, "OUTGOING_WEBHOOKS_ALLOWED_PORTS", [443, 80])]


def _problem(address: IPAddress) -> str:
    """What is wrong with connecting to `address` ("" when nothing)."""
    for network, what in ALWAYS_REFUSED:
        if address.version == network.version and address in network:
            return what
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_link_local:
        return "a link-local address (such as the cloud metadata service)"
    if address.is_loopback:
        return "" if allow_private() else "a loopback address (this server itself)"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private or not address.is_global:
        return "" if allow_private() else "a private network address"
    return ""


def vet_address(ip: str) -> IPAddress:
    """The address, or UnsafeUrl when Roster must not connect to it."""
    try:
        address: IPAddress = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError as exc:
        raise UnsafeUrl(f"{ip} is not an IP address.") from exc
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    problem = _problem(address)
    if problem:
        raise UnsafeUrl(f"{ip} is {problem}; Roster does not send webhooks there.")
    return address


def resolve(host: str, port: int) -> list[tuple[int, str]]:
    """Every (family, address) `host` resolves to, each vetted: one unsafe address refuses the host
    (a name that also points inside the network is not an outside endpoint)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrl(f"{host} could not be resolved (check the host name).") from exc
    found: list[tuple[int, str]] = []
    for family, _, _, _, sockaddr in infos:
        ip = str(sockaddr[0])
        try:
            vet_address(ip)
        except UnsafeUrl:
            # Not which address: what Roster's DNS answers is not for whoever typed the URL.
            raise UnsafeUrl(
                f"{host} points to a private or reserved address; Roster does not send webhooks there."
            ) from None
        if (family, ip) not in found:
            found.append((family, ip))
    if not found:
        raise UnsafeUrl(f"{host} has no address.")
    return found


def check_url(url: str, *, resolve_host: bool = True) -> str:
    """The rules for an endpoint URL (on save, and before each delivery): the URL, or UnsafeUrl."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl("That is not a valid URL.") from exc
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeUrl("The URL must start with https://.")
    if parts.scheme == "http" and not settings.DEBUG:
        raise UnsafeUrl("The URL must use https:// (http:// is allowed only in development).")
    if parts.username or parts.password:
        raise UnsafeUrl("The URL must not contain a user name or password.")
    check_port(port or DEFAULT_PORTS[parts.scheme])
    host = parts.hostname
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        if resolve_host:
            resolve(host, port or DEFAULT_PORTS[parts.scheme])
    else:
        vet_address(host)
    return url


def check_port(port: int) -> None:
    """UnsafeUrl unless `port` is in OUTGOING_WEBHOOKS_ALLOWED_PORTS (any port with the allow-private setting)."""
    allowed = allowed_ports()
    if allow_private() or port in allowed:
        return
    ports = " and ".join(str(p) for p in allowed) or "none"
    raise UnsafeUrl(f"Port {port} is not allowed: Roster sends webhooks only to port {ports}.")


def _connect(conn: HTTPConnection) -> socket.socket:
    """Open the socket to a vetted address of conn.host (what urllib3's _new_conn would do)."""
    last: OSError | None = None
    for _family, ip in resolve(conn.host, conn.port or 443):
        try:
            return urllib3_connection.create_connection(
                (ip, conn.port or 443),
                timeout=conn.timeout,
                source_address=conn.source_address,
                socket_options=conn.socket_options,
            )
        except OSError as error:  # try the next vetted address
            last = error
    raise last or OSError(f"Could not connect to {conn.host}")


class _SafeHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _connect(self)


class _SafeHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _connect(self)


class _SafeHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _SafeHTTPConnection


class _SafeHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _SafeHTTPSConnection


class SafeAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {  # type: ignore[attr-defined]
            "http": _SafeHTTPConnectionPool,
            "https": _SafeHTTPSConnectionPool,
        }


def session() -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # no proxy from the environment: it would connect unvetted
    s.mount("http://", SafeAdapter(max_retries=0))
    s.mount("https://", SafeAdapter(max_retries=0))
    return s


@dataclass(frozen=True)
class Answer:
    """A receiver's answer: its status, headers and at most MAX_RESPONSE_BYTES of its body."""

    status_code: int
    headers: CaseInsensitiveDict
    body: bytes


def post(url: str, *, data: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST once; redirects are answered, not followed. Reads at most MAX_RESPONSE_BYTES of the answer
    (within about `timeout` seconds), then closes the connection. Raises UnsafeUrl, or requests' errors."""
    check_url(url, resolve_host=False)  # the scheme and port; the address is vetted when connecting
    # identity: the bytes kept are the bytes read (no decompression bomb).
    headers = {**headers, "Accept-Encoding": "identity"}
    with session() as s:
        response = s.post(url, data=data, headers=headers, timeout=timeout, allow_redirects=False, stream=True)
        try:
            body = _read_some(response, deadline=time.monotonic() + timeout)
        finally:
            response.close()  # closes the socket: the rest of the body is never read
    return Answer(status_code=response.status_code, headers=response.headers, body=body)


def _read_some(response: requests.Response, *, deadline: float) -> bytes:
    """What arrives of the body, up to MAX_RESPONSE_BYTES or the deadline; a body cut short (timeout,
    reset) keeps what came: the status, already read, decides the delivery."""
    kept = bytearray()
    while len(kept) < MAX_RESPONSE_BYTES and time.monotonic() < deadline:
        try:
            chunk = response.raw.read1(min(_READ_CHUNK, MAX_RESPONSE_BYTES - len(kept)), decode_content=False)
        except (Urllib3Error, OSError):
            break
        if not chunk:
            break
        kept += chunk
    return bytes(kept)
