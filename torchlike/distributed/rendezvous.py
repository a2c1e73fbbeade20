"""``torch.distributed.rendezvous``: from an init URL to ``(store, rank, world_size)``.

``rendezvous(url, rank=-1, world_size=-1, **kwargs)`` returns the generator of the handler that
``url``'s scheme names; its first item is the triple, asking it again raises (a configuration cannot
be re-rendezvoused).  ``rank``/``world_size`` given as arguments go into the URL's query, which must
not already hold them.  The handlers:

* ``env://``: ``MASTER_ADDR``, ``MASTER_PORT``, and ``RANK``/``WORLD_SIZE`` unless the query gives
  them; rank 0 serves a multi-tenant ``TCPStore`` on the port, the others connect to it.
* ``tcp://host:port?rank=r&world_size=n``: the same store at ``host:port``.
* ``file:///path?rank=r&world_size=n``: a ``FileStore`` on ``path``.

``register_rendezvous_handler(scheme, handler)`` adds a scheme (a generator function of the URL).
The stores are torchlike's own (``_store``); ``init_process_group`` uses this for every scheme but
``env://`` and ``tcp://`` (whose port JAX's coordination service takes).
"""
from __future__ import annotations

import datetime
import numbers
import os
from urllib.parse import urlparse, urlunparse

from ._store import FileStore, TCPStore

_DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)
_handlers = {}


def register_rendezvous_handler(scheme, handler):
    """Make ``rendezvous`` call ``handler(url, **kwargs)`` (a generator of the triple) for ``scheme://``."""
    if scheme in _handlers:
        raise RuntimeError(f"Rendezvous handler for {scheme}:// already registered")
    _handlers[scheme] = handler


def rendezvous(url, rank=-1, world_size=-1, **kwargs):
    """The handler's generator for ``url``; ``next()`` of it is ``(store, rank, world_size)``."""
    if not isinstance(url, (str, bytes)):
        raise RuntimeError(f"`url` must be a string. {type(url)}: {url}")
    if not isinstance(rank, numbers.Integral):
        raise RuntimeError(f"`rank` must be an integer. {rank}")
    if not isinstance(world_size, numbers.Integral):
        raise RuntimeError(f"`world_size` must be an integer. {world_size}")
    return _dispatch(url, rank, world_size, **kwargs)


def _dispatch(url, rank, world_size, **kwargs):
    """Put ``rank``/``world_size`` (when given) into the URL's query and call its scheme's handler."""
    parts = urlparse(url)
    if rank != -1 or world_size != -1:
        query = _query(parts.query)
        if "rank" in query or "world_size" in query:
            raise AssertionError(f"The url: {url} has node-specific arguments(rank, world_size) already.")
        if rank != -1:
            query["rank"] = str(rank)
        if world_size != -1:
            query["world_size"] = str(world_size)
        parts = parts._replace(query="&".join(f"{k}={v}" for k, v in query.items()))
        url = urlunparse(parts)
    if parts.scheme not in _handlers:
        raise RuntimeError(f"No rendezvous handler for {parts.scheme}://")
    return _handlers[parts.scheme](url, **kwargs)


def _query(text):
    """``"rank=0&world_size=2"`` -> {"rank": "0", "world_size": "2"} (empty pieces ignored)."""
    return dict(pair.split("=") for pair in text.split("&") if pair)


def error(method, msg):
    """PyTorch's error for a rendezvous that lacks something."""
    return ValueError(f"Error initializing torch.distributed using {method} rendezvous: {msg}")


def env_value(name, method="env://"):
    value = os.environ.get(name)
    if not value:
        raise error(method, f"environment variable {name} expected, but not set")
    return value


def _rank_and_world(query, method):
    for key, what in (("rank", "rank parameter"), ("world_size", "world size parameter")):
        if key not in query:
            raise error(method, f"{what} missing")
    return int(query["rank"]), int(query["world_size"])


def _tcp_store(host, port, rank, world_size, timeout):
    if not 0 <= port < 2 ** 16:
        raise ValueError(f"port must have value from 0 to 65535 but was {port}.")
    return TCPStore(host, port, world_size=world_size, is_master=rank == 0, timeout=timeout, multi_tenant=True)


def _file_handler(url, **kwargs):
    parts = urlparse(url)
    if not parts.path:
        raise error("file://", "path missing")
    rank, world_size = _rank_and_world(_query(parts.query), "file://")
    yield FileStore(parts.path, world_size), rank, world_size
    raise RuntimeError("Unable to perform rerendezvous using file:// method")


def _tcp_handler(url, timeout=_DEFAULT_TIMEOUT, **kwargs):
    parts = urlparse(url)
    if not parts.port:
        raise error("tcp://", "port number missing")
    rank, world_size = _rank_and_world(_query(parts.query), "tcp://")
    if parts.hostname is None:
        raise AssertionError("hostname cannot be None")
    yield _tcp_store(parts.hostname, parts.port, rank, world_size, timeout), rank, world_size
    raise RuntimeError("Unable to perform re-rendezvous using tcp:// method")


def _env_handler(url, timeout=_DEFAULT_TIMEOUT, **kwargs):
    query = _query(urlparse(url).query)
    rank = int(query["rank"]) if "rank" in query else int(env_value("RANK"))
    world_size = int(query["world_size"]) if "world_size" in query else int(env_value("WORLD_SIZE"))
    host, port = env_value("MASTER_ADDR"), int(env_value("MASTER_PORT"))
    yield _tcp_store(host, port, rank, world_size, timeout), rank, world_size
    raise RuntimeError("Unable to perform re-rendezvous using env:// method")


register_rendezvous_handler("tcp", _tcp_handler)
register_rendezvous_handler("env", _env_handler)
register_rendezvous_handler("file", _file_handler)

__all__ = ["register_rendezvous_handler", "rendezvous"]
