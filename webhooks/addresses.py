"""Where a webhook may be sent: addresses on the internet only (docs/webhooks.md, "Addresses").

The sender runs inside our network, so an address of it (the cloud's metadata service, the
database, Redis) must never be reachable through a webhook and its status code. An endpoint's URL
is checked when it is registered (an IP literal or a name of this machine) and again at every
sending, after DNS: a public name that resolves to a private address is refused then, and the
request goes to an address that was checked, so a second lookup cannot answer differently.
"""

import ipaddress
import socket
from itertools import zip_longest
from urllib.parse import urlsplit, urlunsplit


class PrivateAddress(Exception):
    """The endpoint's host is, or resolves to, a local or private network address."""


def internal_address(text: str) -> bool:
    """An IP address that is not globally routable (IPv4-mapped IPv6 read as its IPv4)."""
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not address.is_global


def internal_host(host: str) -> bool:
    """An IP literal that is not globally routable, or a name of this machine."""
    host = host.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return internal_address(host)
    except ValueError:
        return False


def public_addresses(host: str, port: int) -> list[str]:
    """The addresses to try for ``host``, each once, when none is internal: the resolver's order
    with the two families alternating (RFC 8305 §4), so that a name with IPv6 and IPv4 addresses
    is reached over IPv4 from a sender whose IPv6 does not get through, and a name with one server
    down through the others.

    Raises ``PrivateAddress`` when any of its addresses is internal (a name with one private
    address among public ones could be steered to it), ``OSError`` when it does not resolve.
    """
    if internal_host(host):
        raise PrivateAddress(host)
    found = [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    if not found or any(internal_address(a) for a in found):
        raise PrivateAddress(host)
    unique = list(dict.fromkeys(found))
    v6, v4 = [a for a in unique if ":" in a], [a for a in unique if ":" not in a]
    first, second = (v6, v4) if ":" in unique[0] else (v4, v6)
    return [a for pair in zip_longest(first, second) for a in pair if a is not None]


def pinned_url(url: str, address: str) -> str:
    """``url`` with its host replaced by ``address`` (IPv6 in brackets), port, path and query kept."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
