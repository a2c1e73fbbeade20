"""XLA programs kept on disk between runs (JAX's persistent compilation cache), on by default.

A program's first run in a process is compiled by XLA: 20-250 ms on a CPU per program, and a short
training script compiles about a hundred (``benchmarks/scripts/char_lm.py``, 100 steps: 82 programs,
5-6 s of its 9 s).  PyTorch's kernels ship compiled.  JAX can keep every compiled executable in a
directory, keyed by what it was compiled from: the whole HLO module, the compile options and XLA
flags, the jaxlib version and the device kind.  A key holds everything the executable depends on,
so a hit is the executable a compilation would have made, bit for bit; torchlike only switches it on.
The second run of a script loads its programs instead of compiling them (char_lm: loop CPU 8.9 ->
2.1 s).

``enable()`` (called once at import) picks the directory:

* ``TORCHLIKE_CACHE_DIR``: that directory; empty or ``0``: no disk cache;
* else, when JAX's own ``jax_compilation_cache_dir`` is set (``JAX_COMPILATION_CACHE_DIR``): the user's
  configuration, left as it is;
* else ``$XDG_CACHE_HOME/torchlike/xla`` (``~/.cache/torchlike/xla``).

The cache holds compiled machine code that this process will run, so it is used only in a directory
this user owns and nobody else can write (created with mode 0700); otherwise it is left off
(docs/security.md).  Every program is kept, whatever its compile time (JAX's default keeps only those
over a second, which no CPU program here reaches).  The directory is pruned to ``MAX_BYTES``, oldest
used first, at most once a day (JAX's own size bound rescans the directory at every write).
"""
from __future__ import annotations

import os
import stat
import time

import jax

MAX_BYTES = 1 << 30
PRUNE_EVERY = 24 * 3600.0
_STAMP = ".torchlike-pruned"


def default_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "torchlike", "xla")


def private(path):
    """Is ``path`` a directory of this user's that no one else can write?"""
    try:
        st = os.stat(path)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode) or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False
    return not hasattr(os, "getuid") or st.st_uid == os.getuid()


def enable():
    """Point JAX's persistent compilation cache at torchlike's directory; returns it, or None (off)."""
    where = os.environ.get("TORCHLIKE_CACHE_DIR")
    if where is None:
        if jax.config.jax_compilation_cache_dir:
            return None                 # the user's own JAX configuration
        where = default_dir()
    elif where in ("", "0"):
        return None
    try:
        os.makedirs(where, mode=0o700, exist_ok=True)
    except OSError:
        return None
    if not private(where) or not os.access(where, os.W_OK):
        return None
    jax.config.update("jax_compilation_cache_dir", where)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    prune(where)
    return where


def prune(where, max_bytes=MAX_BYTES, every=PRUNE_EVERY):
    """Delete the least recently used entries of ``where`` until it holds at most ``max_bytes``; does
    nothing when it did this less than ``every`` seconds ago.  Returns the bytes left, or None when it
    did not look."""
    stamp = os.path.join(where, _STAMP)
    try:
        if time.time() - os.stat(stamp).st_mtime < every:
            return None
    except OSError:
        pass
    entries = []
    total = 0
    try:
        with os.scandir(where) as it:
            for e in it:
                if e.name.startswith(".") or not e.is_file(follow_symlinks=False):
                    continue
                st = e.stat(follow_symlinks=False)
                entries.append((max(st.st_atime, st.st_mtime), st.st_size, e.path))
                total += st.st_size
        entries.sort()
        for _, size, path in entries:
            if total <= max_bytes:
                break
            try:
                os.unlink(path)
                total -= size
            except OSError:
                pass
        with open(stamp, "w"):
            pass
    except OSError:
        return None
    return total
