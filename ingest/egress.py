"""Egress policy: which network addresses the ingest pipeline may connect to.

An admin can name any URL to ingest, and whatever is fetched is later quoted to anyone who
asks, so a fetch must not reach the machine's own services, the private network or a cloud
metadata endpoint. Every connection the fetcher opens goes through `VettingBackend`: it
resolves the host itself, refuses addresses that are not public, and connects to the address
it vetted. Checking at connect time covers every redirect hop, sitemap and robots.txt, and a
DNS answer that changes between a check and the connection (rebinding) cannot slip past.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOW_SETTING = "CAREERQA_FETCH_ALLOW"


class EgressRefused(Exception):
    """A connection the policy does not allow; `detail` says which address and why."""

    reason = "egress_refused"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def address_class(address: IPAddress) -> str | None:
    """Why `address` is not a public destination ("loopback", "private", ...), or None.

    IPv6 forms that embed an IPv4 address (mapped, 6to4, Teredo) are judged by the IPv4
    address they carry, so `::ffff:127.0.0.1` is loopback like `127.0.0.1`.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is not None:
            return address_class(embedded)
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        # What is left and still not global: shared (100.64/10), benchmarking ranges, ...
        ("non-global", not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


@dataclass(frozen=True)
class EgressPolicy:
    """Public addresses only, plus the hosts and networks an operator allows.

    `allowed_hosts` are host names as written in URLs (lower case); a URL on such a host is
    fetched whatever it resolves to. `allowed_networks` are CIDRs the resolved address may
    fall in (a single address is a /32 or /128).
    """

    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> EgressPolicy:
        """A policy from setting values: each a CIDR, an IP address or a host name."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip().lower().strip("[]")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def refusal(self, host: str, address: IPAddress) -> str | None:
        """Why connecting to `address` (resolved from `host`) is refused, or None."""
        if host.lower().rstrip(".") in self.allowed_hosts:
            return None
        kind = address_class(address)
        if kind is None or any(address in network for network in self.allowed_networks):
            return None
        shown = address if str(address) == host else f"{address} (from {host!r})"
        return f"{shown} is a {kind} address; name it in {ALLOW_SETTING} to fetch it"

    async def vet(self, host: str, port: int) -> list[str]:
        """The addresses of `host` that may be connected to, in resolver order.

        Raises `EgressRefused` when none may; resolution errors surface as httpcore's
        ConnectError, like any other failure to connect.
        """
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"cannot resolve {host!r}: {exc}") from exc
        allowed: list[str] = []
        refusals: list[str] = []
        for _family, _type, _proto, _name, sockaddr in infos:
            address = ipaddress.ip_address(sockaddr[0])
            why = self.refusal(host, address)
            if why is None:
                allowed.append(str(address))
            else:
                refusals.append(why)
        if not allowed:
            raise EgressRefused(refusals[0] if refusals else f"{host!r} has no address")
        return list(dict.fromkeys(allowed))


class VettingBackend(httpcore.AsyncNetworkBackend):
    """A network backend that connects only to addresses the policy allows.

    TLS still verifies the certificate against the URL's host name: httpcore passes the
    origin's host to `start_tls`, not the address connected to.
    """

    def __init__(self, policy: EgressPolicy) -> None:
        self.policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        last: Exception | None = None
        for address in await self.policy.vet(host, port):
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None  # vet() returns at least one address
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise EgressRefused(f"unix socket {path!r}: only TCP to vetted addresses")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class VettedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, with its connection pool built on `VettingBackend`.

    Passing a transport also turns off httpx's proxy variables: a proxy would be the one
    connecting, out of the policy's sight.
    """

    def __init__(self, policy: EgressPolicy) -> None:
        super().__init__()
        # httpx builds its pool without a way to name the network backend; the pool is
        # rebuilt with the same defaults and ours (httpx keeps it in `_pool`).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=100,  # httpx's default limits
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=VettingBackend(policy),
        )
