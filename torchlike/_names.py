"""Where a public name is published: ``publish`` is the one way into the torch namespace and onto Tensor.

``FUNCTIONS`` holds ``torchlike.<name>``, ``METHODS`` holds ``Tensor.<name>``.  Every declaration path
(``_registry.defop``, the ``_ops_*`` helpers, the namespaces that add legacy spellings) calls
``publish``; the package's ``__init__`` installs the two tables at the end of its import
(``install``).  A name published twice raises at import: two declarations of one name, each
thinking it is the one, is how a stale duplicate goes unnoticed.  ``replace=True`` is the escape hatch
for a deliberate override, and each use says why in a comment.

This module imports nothing of torchlike: every layer may publish.
"""
from __future__ import annotations


class DuplicateName(RuntimeError):
    """A name published twice without ``replace=True``."""


class _Table(dict):
    """A name table that refuses to overwrite: a write of an existing name raises ``DuplicateName``.

    Only ``publish`` writes to it; the check here catches a stray ``FUNCTIONS[name] = fn`` as well.
    Reads are plain dict reads (no method overridden on the read path).
    """

    __slots__ = ("label",)

    def __init__(self, label):
        super().__init__()
        self.label = label

    def __setitem__(self, name, value):
        if name in self:
            raise DuplicateName(f"{self.label}{name} is published twice (the first: {_where(self[name])}; "
                                f"the second: {_where(value)}); keep one declaration, or pass replace=True "
                                "with a comment saying why the override is deliberate")
        dict.__setitem__(self, name, value)

    def setdefault(self, name, value=None):
        raise TypeError("publish names with torchlike._names.publish (setdefault hides a duplicate)")

    def update(self, *args, **kw):
        raise TypeError("publish names with torchlike._names.publish")


def _where(obj):
    fn = getattr(obj, "fget", obj)
    code = getattr(fn, "__code__", None)
    if code is not None:
        return f"{getattr(fn, '__qualname__', fn)!s} at {code.co_filename}:{code.co_firstlineno}"
    return repr(obj)


FUNCTIONS = _Table("torch.")        # torchlike.<name>
METHODS = _Table("Tensor.")         # Tensor.<name> (functions, properties, dunders)


def duplicate_op(name, first, second):
    """``defop`` found ``name`` declared already: raise ``DuplicateName`` naming both implementations."""
    raise DuplicateName(f"op {name} is declared twice ({_where(first)}; {_where(second)}); keep one declaration")


def publish_in(namespace, op, name):
    """Make ``op``'s generated function the name ``name`` of a namespace module (``torch.linalg``,
    ``torch.special``; ``namespace`` its ``globals()``), named and listed there as its own."""
    fn = op.function
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = namespace["__name__"]
    namespace[name] = fn
    names = namespace["__all__"]
    if name not in names:
        names.append(name)
    return fn


def publish(name, function=None, method=None, *, replace=False):
    """Publish ``function`` as ``torchlike.<name>`` and/or ``method`` as ``Tensor.<name>``.

    ``method=True`` publishes ``function`` itself as the method.  A name already published in a table
    it is written to raises ``DuplicateName`` unless ``replace=True`` (a deliberate override: say why
    where it is passed).  Returns ``function`` (or the method when there is no function), so it can
    end a decorator or a factory.
    """
    if method is True:
        method = function
    if function is None and method is None:
        raise TypeError(f"publish({name!r}): nothing to publish")
    for table, value in ((FUNCTIONS, function), (METHODS, method)):
        if value is None:
            continue
        if replace:
            dict.__setitem__(table, name, value)
        else:
            table[name] = value
    return function if function is not None else method


_INSTALLED = {}         # (table label, name) -> what install put there


def _install(table, get, put, where, public_only, installed):
    for name, value in table.items():
        if public_only and name.startswith("_"):
            continue        # torch._foo helpers stay in the table (the package exports its own list)
        key = (table.label, name)
        current = get(name)
        if key in installed:
            if current is not installed[key] and current is not value:
                raise DuplicateName(f"{table.label}{name} was rebound in {where} after it was published "
                                    f"({_where(current)}); publish it once")
        elif current is not None and current is not value:
            raise DuplicateName(f"{table.label}{name} is defined in {where} ({_where(current)}) and published "
                                f"({_where(value)}); keep one")
        if current is not value:
            put(name, value)
        installed[key] = value


def install(namespace, cls):
    """Put every published name in place: ``FUNCTIONS`` into ``namespace`` (the torch package's globals),
    ``METHODS`` onto ``cls`` (Tensor).  Called by the package's ``__init__`` after each group of imports
    that publish; a name the namespace or the class already binds to something else raises
    ``DuplicateName`` (the class body's own definition would otherwise silently win)."""
    _install(FUNCTIONS, namespace.get, namespace.__setitem__, "torchlike/__init__.py", True, _INSTALLED)
    install_methods(METHODS, cls, _INSTALLED)


def install_methods(table, cls, installed):
    """Set ``table``'s methods on ``cls``; one that the class body defines raises ``DuplicateName``."""
    _install(table, lambda n: cls.__dict__.get(n), lambda n, v: setattr(cls, n, v), "the Tensor class", False,
             installed)
