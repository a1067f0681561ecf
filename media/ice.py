"""ICE configuration for the media service's peer connections.

Two things aiortc does not let a caller choose per connection:

- Which local addresses become host candidates: aioice enumerates every
  interface and always leaves out 127.0.0.1, and its ``Connection`` takes no
  address list. :func:`use_host_addresses` replaces the module-level
  ``aioice.ice.get_host_addresses`` (the one place this is patched) with an
  allow-list of addresses and/or interface names, process-wide: a media node
  offers its configured public interface, tests offer ``127.0.0.1`` only.
- Default STUN: with ``iceServers=None`` aiortc asks a public STUN server.
  :func:`rtc_configuration` always passes the list explicitly (empty is fine).
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Sequence

import aioice.ice as _aioice
import ifaddr
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCIceServer

LOOPBACK_ONLY: tuple[str, ...] = ("127.0.0.1",)

_lock = threading.Lock()
_original: Callable[[bool, bool], list[str]] | None = None
_allowed: tuple[str, ...] = ()


def _is_address(entry: str) -> bool:
    try:
        ipaddress.ip_address(entry)
    except ValueError:
        return False
    return True


def resolve_host_addresses(allowed: Sequence[str], use_ipv4: bool, use_ipv6: bool) -> list[str]:
    """Addresses for ``allowed`` entries: literal IPs as given, interface names expanded."""
    names = {e for e in allowed if not _is_address(e)}
    found: list[str] = [e for e in allowed if _is_address(e)]
    if names:
        for adapter in ifaddr.get_adapters():
            if adapter.nice_name in names or adapter.name in names:
                for ip in adapter.ips:
                    found.append(ip.ip if isinstance(ip.ip, str) else ip.ip[0])
    out: list[str] = []
    for address in found:
        version = ipaddress.ip_address(address).version
        if ((version == 4 and use_ipv4) or (version == 6 and use_ipv6)) and address not in out:
            out.append(address)
    return out


def _allow_listed(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    return resolve_host_addresses(_allowed, use_ipv4, use_ipv6)


def use_host_addresses(allowed: Sequence[str] | None) -> None:
    """Offer only ``allowed`` local addresses/interfaces as ICE host candidates.

    ``None`` restores aioice's own choice (every interface but loopback).
    Applies to connections gathering candidates from now on.
    """
    global _original, _allowed
    with _lock:
        if allowed is None:
            if _original is not None:
                _aioice.get_host_addresses = _original  # type: ignore[assignment]
                _original = None
            _allowed = ()
            return
        _allowed = tuple(allowed)
        if _original is None:
            _original = _aioice.get_host_addresses
            _aioice.get_host_addresses = _allow_listed  # type: ignore[assignment]


def host_addresses_in_use() -> tuple[str, ...] | None:
    """The allow-list in force, or ``None`` when aioice chooses."""
    return _allowed if _original is not None else None


def rtc_configuration(ice_servers: Sequence[RTCIceServer] = ()) -> RTCConfiguration:
    """A configuration with an explicit ICE server list and one bundled transport."""
    return RTCConfiguration(iceServers=list(ice_servers), bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
