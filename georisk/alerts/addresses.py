"""Where a webhook may be sent. A rule's webhook URL is typed by an analyst, and the server that
sends it sits inside the operator's network: a URL to a private, loopback or link-local address
would let anyone who may edit a rule make the server call its neighbours (server-side request
forgery). Such addresses are refused unless the operator lists them in GEORISK_WEBHOOK_ALLOW
(comma-separated networks, e.g. `127.0.0.1/32,10.20.0.0/16`).

The name is resolved when the rule is saved and again before every delivery, and the request goes
to the address checked then, so that a name that later resolves elsewhere (DNS rebinding) cannot
slip past the check.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import urllib.parse
from collections.abc import Mapping

ALLOW_ENV = "GEORISK_WEBHOOK_ALLOW"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(Exception):
    """The URL may not be called; the message says why, for the person who typed it."""


def allowed_networks(environ: Mapping[str, str] = os.environ) -> list[ipaddress._BaseNetwork]:
    networks = []
    for part in environ.get(ALLOW_ENV, "").split(","):
        part = part.strip()
        if part:
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError as err:
                raise AddressRefused(f"{ALLOW_ENV} lists {part!r}, which is not a network: {err}") from err
    return networks


def _private(address: Address) -> str | None:
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private:
        return "a private address"
    if address.is_multicast or address.is_reserved or address.is_unspecified:
        return "a reserved address"
    return None


def checked_target(url: str, environ: Mapping[str, str] = os.environ) -> tuple[str, int, Address]:
    """(host, port, the address to connect to) for a webhook URL; AddressRefused when the URL is
    malformed, not http(s), does not resolve, or resolves to an address that is not public and not
    allowed."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise AddressRefused("a webhook URL starts with https:// (or http://)")
    if not parts.hostname:
        raise AddressRefused("the webhook URL names no host")
    if parts.username or parts.password:
        raise AddressRefused("a webhook URL may not carry a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused("the webhook URL's port is not a number from 1 to 65535") from None
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        raise AddressRefused(f"the webhook host {parts.hostname!r} does not resolve ({err})") from None
    allowed = allowed_networks(environ)
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in found]
    # Every address the name has must pass: otherwise a name with one public and one private
    # address would pass the check and then be sent to the private one.
    for address in addresses:
        why = _private(address)
        if why and not any(address in network for network in allowed):
            raise AddressRefused(
                f"the webhook host {parts.hostname!r} is {why} ({address}); webhooks go to public "
                f"addresses only, unless the operator allows the network in {ALLOW_ENV}"
            )
    return parts.hostname, port, addresses[0]
