"""Outbound HTTP to an address a tenant typed (an SMS or WhatsApp gateway today, webhooks later):
the one rule for where the platform may connect on a tenant's behalf.

Refused: loopback, private, link-local (cloud metadata at 169.254.169.254 included), shared
(100.64/10), unique-local, multicast, unspecified and reserved addresses, IPv4 inside IPv6
(`::ffff:10.0.0.1`, 6to4, NAT64) when the inner address is refused, and names that only mean
something inside a network (`localhost`, `*.internal`, `metadata.google.internal`, …). Only
`https` in production. The rule applies twice:

- when the address is saved (`check_url_resolved`: every address the name resolves to), and
- when connecting (`session()`'s connector resolves through `GuardedResolver`, which drops
  refused addresses, so the socket goes to the very address that was checked: a name that
  resolved to a public address when saved and to an internal one now — a DNS rebind — is refused).

Callers never follow redirects (`allow_redirects=False`), so the checked URL is the one fetched.

`SILA_OUTBOUND_ALLOW` lists exceptions for a deployment (its own test gateway): entries without
`/` are host names or IP addresses matched exactly against the URL's host as typed; entries with
`/` are networks matched against the resolved address. Empty by default.
"""
from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from sila.platform.settings import Settings, get_settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Names that reach the machine itself or its cloud's internal services, whatever DNS says.
REFUSED_NAMES = frozenset({"localhost", "metadata", "metadata.google.internal", "instance-data",
                           "instance-data.ec2.internal", "metadata.azure.internal", "kubernetes.default"})
REFUSED_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain", ".home.arpa", ".arpa", ".svc",
                    ".cluster.local", ".corp", ".lan", ".intranet")
NAT64 = ipaddress.ip_network("64:ff9b::/96")

# Why an address was refused; the form turns these into a message in the user's language.
SCHEME, HOST, INTERNAL, UNRESOLVED = "scheme", "host", "internal", "unresolved"


class Refused(ValueError):
    def __init__(self, reason: str, host: str = "") -> None:
        super().__init__(f"outbound address refused ({reason}): {host}")
        self.reason = reason
        self.host = host


@dataclass(frozen=True)
class Allow:
    hosts: frozenset[str]
    networks: tuple[Network, ...]

    def host(self, host: str) -> bool:
        return _normal_host(host) in self.hosts

    def address(self, ip: IPAddress) -> bool:
        return any(ip.version == net.version and ip in net for net in self.networks)


def allow_of(settings: Settings | None = None) -> Allow:
    raw = (settings or get_settings()).outbound_allow
    hosts, networks = set(), []
    for entry in (e.strip() for e in raw.split(",")):
        if not entry:
            continue
        if "/" in entry:
            networks.append(ipaddress.ip_network(entry, strict=False))
        else:
            hosts.add(_normal_host(entry))
    return Allow(frozenset(hosts), tuple(networks))


def _normal_host(host: str) -> str:
    host = host.strip().strip("[]").rstrip(".").lower()
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def address_refused(ip: IPAddress) -> bool:
    """True for every address that is not plainly on the public internet."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is None and ip in NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None and address_refused(inner):
            return True
        if ip.scope_id:
            return True
    refused = (not ip.is_global or ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
               or ip.is_reserved or ip.is_unspecified)
    return refused or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local)


def name_refused(host: str) -> bool:
    host = _normal_host(host)
    return host in REFUSED_NAMES or host.endswith(REFUSED_SUFFIXES)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_url(url: str, settings: Settings | None = None) -> SplitResult:
    """The URL's parts, or `Refused`: the checks that need no DNS (scheme, credentials, literal
    addresses, internal names). A URL that passes may still resolve to a refused address."""
    settings = settings or get_settings()
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # a port out of range raises here
    except ValueError:
        raise Refused(HOST, url[:100]) from None
    schemes = ("https",) if settings.env == "production" else ("https", "http")
    if parts.scheme not in schemes:
        raise Refused(SCHEME, parts.scheme)
    if not host or parts.username is not None or parts.password is not None or any(c in host for c in " \\%@"):
        raise Refused(HOST, host or "")
    allow = allow_of(settings)
    if allow.host(host):
        return parts
    ip = _literal(host)
    if ip is not None:
        if address_refused(ip) and not allow.address(ip):
            raise Refused(INTERNAL, host)
    elif name_refused(host):
        raise Refused(INTERNAL, host)
    return parts


def _checked(host: str, addresses: list[str], allow: Allow) -> list[str]:
    """The addresses that may be connected to; `Refused` when a single one is refused (a name
    that also points inside is not a gateway), or none remain."""
    if allow.host(host):
        return addresses
    for raw in addresses:
        ip = ipaddress.ip_address(raw.split("%", 1)[0])
        if address_refused(ip) and not allow.address(ip):
            raise Refused(INTERNAL, host)
    if not addresses:
        raise Refused(UNRESOLVED, host)
    return addresses


async def check_url_resolved(url: str, settings: Settings | None = None) -> None:
    """`check_url`, and every address the host resolves to: what a form checks before saving."""
    settings = settings or get_settings()
    parts = check_url(url, settings)
    host = parts.hostname or ""
    if _literal(host) is not None:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise Refused(UNRESOLVED, host) from None
    _checked(host, [str(info[4][0]) for info in infos], allow_of(settings))


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, refusing what `address_refused` refuses: the connector connects to the
    addresses returned here and nothing else, so what was checked is what is reached."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._inner = ThreadedResolver()
        self._settings = settings

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
                      ) -> list[ResolveResult]:
        settings = self._settings or get_settings()
        allow = allow_of(settings)
        if not allow.host(host) and name_refused(host):
            raise Refused(INTERNAL, host)
        try:
            results = await self._inner.resolve(host, port, family)
        except OSError as exc:
            raise Refused(UNRESOLVED, host) from exc
        _checked(host, [r["host"] for r in results], allow)
        return results

    async def close(self) -> None:
        await self._inner.close()


def session(settings: Settings | None = None, **connector_options: Any) -> aiohttp.ClientSession:
    """A client session whose every connection passes the rule. Never reads proxy settings from
    the environment (a proxy would connect on our behalf, unchecked)."""
    connector = aiohttp.TCPConnector(resolver=GuardedResolver(settings), **connector_options)
    return aiohttp.ClientSession(connector=connector, trust_env=False)
