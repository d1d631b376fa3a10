"""Egress guard for user-supplied URLs (``provnews scrape``): no request may reach a
loopback, private or reserved address or a port other than 80/443, redirects included.

Two layers, both checking *addresses*, never host-name strings:

- ``EgressGuardMiddleware`` (a downloader middleware) checks every request before it
  is sent, and therefore every redirect hop and the robots.txt request: the scheme
  (http/https only), the port (``PROVNEWS_EGRESS_PORTS``) and, when the host is an IP
  literal in any spelling ``getaddrinfo`` accepts (``2130706433``, ``0177.0.0.1``,
  ``127.1``, ``[::ffff:127.0.0.1]``), the address it denotes.
- ``EgressGuardResolver`` (a Twisted host-name resolver, installed through
  ``TWISTED_DNS_RESOLVER``) resolves each connection's host once, checks *every*
  returned address and hands only checked addresses to the connection. Twisted's
  ``HostnameEndpoint`` asks the resolver even for IP literals, and nothing resolves
  the name a second time, so DNS rebinding (a public answer, then a loopback one)
  cannot slip between check and connect.

A refusal raises/records the reason code ``blocked_address``, ``blocked_port`` or
``bad_scheme`` (``blocked_redirect`` when the refused URL was a redirect target).

In mirror mode the resolver is not installed: every connection then goes to the
mirror origin the operator chose (normally loopback), while the middleware still
checks the real URLs. ``PROVNEWS_EGRESS_ALLOW`` lists ``ip`` or ``ip:port`` entries
exempt from the address check (an intranet mirror; the tests' local servers).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import NotConfigured
from twisted.internet.address import IPv4Address as TxIPv4Address
from twisted.internet.address import IPv6Address as TxIPv6Address
from twisted.internet.interfaces import (
    IHostnameResolver,
    IHostResolution,
    IResolutionReceiver,
)
from twisted.internet.threads import deferToThreadPool
from zope.interface import implementer

from crawler.fetching.errors import REFUSED_HOSTS, refuse
from crawler.settings import PROVNEWS_EGRESS_PORTS

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}

# (network, address class named in messages). Order matters: first match wins.
_V4_BLOCKS = [
    ("0.0.0.0/8", "this_network"),            # includes 0.0.0.0, "unspecified" to most stacks
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "cgnat"),               # carrier-grade NAT; cloud metadata lives here too
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link_local"),         # 169.254.169.254: cloud metadata
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "ietf_protocol"),
    ("192.0.2.0/24", "documentation"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),              # includes 255.255.255.255 broadcast
]
_V6_BLOCKS = [
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::/96", "ipv4_compatible"),             # deprecated ::a.b.c.d
    ("64:ff9b:1::/48", "nat64"),
    ("100::/64", "discard"),
    ("2001:db8::/32", "documentation"),
    ("fc00::/7", "private"),                  # unique local
    ("fe80::/10", "link_local"),
    ("fec0::/10", "site_local"),
    ("ff00::/8", "multicast"),
]
_V4_NETS = [(ipaddress.ip_network(n), why) for n, why in _V4_BLOCKS]
_V6_NETS = [(ipaddress.ip_network(n), why) for n, why in _V6_BLOCKS]
_LITERAL_V4_CHARS = re.compile(r"[0-9a-fA-FxX.]+")


def check_address(ip: str | IPAddress) -> str | None:
    """The class of a blocked address (``"loopback"``, ``"private"``, …), or None if
    the address may be connected to. IPv6 forms embedding an IPv4 address
    (``::ffff:a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``) are judged by the
    embedded address."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0] if isinstance(ip, str) else ip)
    except ValueError:
        return "not_an_address"
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = _embedded_v4(addr)
        if embedded is not None:
            inner = check_address(embedded)
            return f"{inner} (ipv4 in ipv6)" if inner else None
        for net, why in _V6_NETS:
            if addr in net:
                return why
    else:
        for net, why in _V4_NETS:
            if addr in net:
                return why
    # Safety net for anything the tables above do not name (IANA special purpose).
    if addr.is_multicast:
        return "multicast"
    if not addr.is_global:
        return "reserved"
    return None


def _embedded_v4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if addr.ipv4_mapped is not None:                                  # ::ffff:0:0/96
        return addr.ipv4_mapped
    if addr in ipaddress.IPv6Network("64:ff9b::/96"):                 # NAT64 well-known prefix
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if addr.sixtofour is not None:                                    # 2002::/16
        return addr.sixtofour
    return None


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address an URL host denotes when it is an IP literal in any spelling the
    C library accepts (``2130706433``, ``0177.0.0.1``, ``0x7f.1``, ``127.1``,
    ``[::1]``); None for a host name."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if _LITERAL_V4_CHARS.fullmatch(host) and any(c.isdigit() for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


@dataclass(frozen=True)
class Allowlist:
    """``ip`` or ``ip:port`` / ``[ip6]:port`` entries exempt from the address check."""

    entries: frozenset[tuple[IPAddress, int | None]] = frozenset()

    @classmethod
    def parse(cls, items: Iterable[str]) -> Allowlist:
        entries = set()
        for item in items:
            item = item.strip()
            if not item:
                continue
            if item.startswith("["):
                host, _, rest = item[1:].partition("]")
                port = int(rest[1:]) if rest.startswith(":") else None
            elif item.count(":") == 1:
                host, port_text = item.split(":")
                port = int(port_text)
            else:
                host, port = item, None
            entries.add((ipaddress.ip_address(host), port))
        return cls(frozenset(entries))

    def allows(self, addr: IPAddress, port: int) -> bool:
        return (addr, port) in self.entries or (addr, None) in self.entries


@dataclass(frozen=True)
class Refusal:
    reason: str   # a reason code: bad_scheme, blocked_port, blocked_address
    detail: str

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


def check_url(url: str, *, ports: Sequence[int] | None = (80, 443),
              allow: Allowlist = Allowlist(), check_addresses: bool = True) -> Refusal | None:
    """Checks that need no DNS: scheme, port, and an IP-literal host's address.

    ``ports=None`` allows any port; ``check_addresses=False`` (``--allow-private``)
    keeps only the scheme check."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return Refusal("bad_url", f"unparsable URL ({exc})")
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        return Refusal("bad_scheme", f"scheme {scheme or '(none)'!r} is not http or https")
    if not parts.hostname:
        return Refusal("bad_url", "no host")
    if not check_addresses:
        return None
    port = port or DEFAULT_PORTS[scheme]
    literal = parse_ip_literal(parts.hostname)
    if literal is not None and not allow.allows(literal, port):
        why = check_address(literal)
        if why:
            return Refusal("blocked_address", f"{parts.hostname} is {literal}, a {why} address")
    if ports is not None and port not in ports and not (literal is not None and allow.allows(literal, port)):
        return Refusal("blocked_port", f"port {port} is not one of {', '.join(map(str, ports))}")
    return None


def check_user_url(url: str, *, allow_private: bool = False, allow: Allowlist = Allowlist()) -> Refusal | None:
    """What ``provnews scrape`` and the API's ``POST /scrape`` refuse before any
    connection: the scheme, and unless ``allow_private`` the port and an IP-literal
    host's address. Host names are judged at connect time, on every address."""
    return check_url(url, allow=allow, check_addresses=not allow_private,
                     ports=None if allow_private else PROVNEWS_EGRESS_PORTS)


# --- connect-time check: a Twisted host-name resolver ---------------------------



@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str):
        self.name = name

    def cancel(self) -> None:  # pragma: no cover (Twisted never cancels ours)
        pass


def system_lookup(host: str, port: int) -> list[str]:
    """Every address ``getaddrinfo`` gives for ``host`` (literals included)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


@implementer(IHostnameResolver)
class EgressGuardResolver:
    """Resolves once, checks every address, passes on only checked ones.

    A name with *any* blocked address is refused as a whole: a mixed answer is how
    rebinding attacks hedge. ``lookup`` is the one place that asks DNS (tests replace
    it with a scripted resolver); ``connected`` (when set) is called with each
    address handed to a connection, so a test can spy on what was connected to."""

    lookup: Callable[[str, int], list[str]] = staticmethod(system_lookup)
    connected: Callable[[str, str, int], None] | None = None

    def __init__(self, reactor: Any, allow: Allowlist):
        self.reactor = reactor
        self.allow = allow

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> EgressGuardResolver:
        return cls(reactor, Allowlist.parse(crawler.settings.getlist("PROVNEWS_EGRESS_ALLOW")))

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def check(self, host: str, port: int, addresses: list[str]) -> str | None:
        """Why ``host`` must not be connected to, or None."""
        if not addresses:
            return None
        for text in addresses:
            addr = ipaddress.ip_address(text.split("%", 1)[0])
            if self.allow.allows(addr, port):
                continue
            why = check_address(addr)
            if why:
                return f"{host} resolves to {addr}, a {why} address"
        return None

    def resolveHostName(  # noqa: N802 (Twisted interface)
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        d = deferToThreadPool(self.reactor, self.reactor.getThreadPool(), self.lookup, hostName, portNumber)

        def deliver(addresses: list[str]) -> None:
            refusal = self.check(hostName, portNumber, addresses)
            if refusal:
                REFUSED_HOSTS.add(hostName, refusal)
                logger.warning("egress guard refused a connection: %s", refusal)
            else:
                for text in addresses:
                    addr = ipaddress.ip_address(text.split("%", 1)[0])
                    cls = TxIPv6Address if addr.version == 6 else TxIPv4Address
                    if addressTypes and cls not in addressTypes:
                        continue
                    if self.connected is not None:
                        self.connected(hostName, text, portNumber)
                    resolutionReceiver.addressResolved(cls("TCP", text, portNumber))
            resolutionReceiver.resolutionComplete()

        def failed(failure: Any) -> None:
            logger.debug("lookup of %s failed: %s", hostName, failure.value)
            resolutionReceiver.resolutionComplete()

        d.addCallbacks(deliver, failed)
        return resolution


# --- request-time check: a downloader middleware --------------------------------

class EgressGuardMiddleware:
    """Checks each request (robots.txt and redirect hops included) before it is sent.

    Enabled by ``PROVNEWS_EGRESS_GUARD`` (set by the runner on the ``scrape`` path);
    ``PROVNEWS_EGRESS_ALLOW_PRIVATE`` (``--allow-private``) keeps the scheme check only."""

    def __init__(self, crawler: Any):
        settings = crawler.settings
        if not settings.getbool("PROVNEWS_EGRESS_GUARD"):
            raise NotConfigured
        self.crawler = crawler
        self.allow = Allowlist.parse(settings.getlist("PROVNEWS_EGRESS_ALLOW"))
        ports = [int(p) for p in settings.getlist("PROVNEWS_EGRESS_PORTS")]
        self.ports = ports or None
        self.check_addresses = not settings.getbool("PROVNEWS_EGRESS_ALLOW_PRIVATE")

    @classmethod
    def from_crawler(cls, crawler: Any) -> EgressGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Any) -> None:
        refusal = check_url(request.url, ports=self.ports if self.check_addresses else None,
                            allow=self.allow, check_addresses=self.check_addresses)
        if refusal is None:
            return
        reason = refusal.reason
        if request.meta.get("redirect_urls") and reason != "bad_scheme":
            reason = "blocked_redirect"
        raise refuse(self.crawler, request, reason, f"egress guard: {refusal.detail}")
