"""The op registry: every op is declared once, everything else is derived.

``defop("sin(Tensor self)", jnp.sin, dtype="float", grad="SinBackward0")``
declares an op by its torch signature and its JAX implementation.  From that
one declaration the registry generates:

* the function ``torchlike.sin`` (with ``out=``),
* the method ``Tensor.sin`` and, when ``inplace=True``, ``Tensor.sin_``,
* the grad_fn class ``SinBackward0``, whose gradient is JAX's vjp of the
  implementation.

Signature types: ``Tensor`` (a tensor or a Python scalar, which is wrapped and
takes part in type promotion as PyTorch's wrapped scalars do), ``Tensor?``,
``Tensor[]`` (a list of tensors), and static types (``int``, ``int[]``,
``float``, ``bool``, ``Scalar``, ``ScalarType?``, ``str``, ``any``) that are
passed to the implementation as Python values and key its compiled cache.
``*int[] size`` accepts both ``f(2, 3)`` and ``f((2, 3))``.  The result is one tensor unless the
signature ends ``-> Tensor[]`` (a tuple of tensors: ``split_with_sizes``, ``unbind``) or ``returns=``
names the fields of a ``torch.return_types`` tuple (``Op.result``; ``tools/gen_pyi.py`` reads it).

Dispatch (``call``): look up the compiled forward for (op, static arguments,
computation dtypes) - compiled once by ``jax.jit``, which also keys on shapes -
run it on the input arrays, wrap the outputs, and when grad mode is on and an
input requires grad, record an ``OpNode`` holding the inputs.  The backward of
that node is the ``jax.vjp`` of the same implementation, also compiled once
per key.
"""
from __future__ import annotations

import builtins
import collections
import math
import re
import weakref

import jax
import jax.numpy as jnp
import numpy as np
import warnings

from . import _interp, _pace
from . import _dtype as D
from . import _lazy
from ._lazy import (_ARRAY, _HOST, ENABLED as _LAZY, NOGRAD as _NOGRAD, LazyRef as _LazyRef, enqueue as _enqueue,
                    lookup as _lookup, no_record as _no_record)
from . import _views
from ._views import Storage
from ._state import local as _local
from .autograd import grad_mode
from .autograd import _saved as _saved_mod
from .autograd.graph import MULTI_VIEW_NODES, RECORD_EXTRA as _RECORD_EXTRA, OpNode, node_class, saved_output

from . import _names
from ._names import FUNCTIONS, METHODS, publish   # torchlike.<name>, Tensor.<name>: published once (_names)
_ops_views = None   # the view ops (copy_slices), which import this module: bound by torchlike/__init__ (`_hand_down`)
OPS = {}            # op name -> Op
_ALL_OPS = weakref.WeakSet()        # every Op, named or not


RETURN_TYPES = {}   # torch.return_types.<name>



@_pace.register_cache
def _forget_programs():
    """Drop every op's compiled programs (pacing turned on: they are made again, paced)."""
    for op in list(_ALL_OPS):
        for cache in (op._fwd, op._vfwd, op._bwd, op._fast):
            cache.clear()


class Op:
    """One declared op.  ``impl(*arrays, *statics)`` is pure JAX."""

    def __init__(self, name, impl, grad, dtype_rule, saves, view, returns, varargs, differentiable):
        self.name = name
        self.impl = impl
        self.grad = grad
        self.dtype_rule = dtype_rule
        self.saves = saves
        self.view = view
        self.returns = returns
        self.varargs = varargs
        self.differentiable = differentiable
        self.edge_kinds = None
        self.overlap_ok = False     # in-place form may write an expanded view (fill_, zero_)
        self.scalar_self = name in SCALAR_SELF or name.startswith("_")     # a number may stand for the first tensor
        self.out_no_alias = False   # out= may not share any memory with an input, even fully (cat, take, gather)
        self.out_exact_dtype = False    # out= must have the result's dtype exactly (gather, aminmax, complex)
        # optional ``key -> forward function`` replacing ``jax.jit(pure(key))`` where a static
        # (an index, a slice start) should not cost one compilation per value
        self.forward_factory = None
        # ``(position, values)``: a Python number at that operand position with one of these values
        # is compiled into the program instead of passed as an array (pow's 2, 3, 0.5: x*x, sqrt)
        self.scalar_spec = None
        # deferred whatever its inputs' size (``_lazy.lookup``): an op whose kernel costs far more than
        # Python's recording (convolutions), so that XLA gets its forward and backward in one program
        self.defer_large = False
        self._fwd = {}
        self._avals = {}            # (key, input shapes/dtypes) -> output shapes/dtypes (``_lazy``)
        self._node_cls = None       # the grad_fn class, when ``grad`` is a name
        # (statics, input dtypes, default dtype) -> (compiled forward, output dtype): calls on one or two
        # plain tensors of one dtype that need no grad skip the dtype rule and key (``call``)
        self._fast = {}
        # (statics, dtype, default dtype, input shapes) -> (key, output meta) of a deferred call (``call``)
        self._dfast = {}
        self._bwd = {}
        self._vfwd = {}             # (key, view spec) -> forward reading view inputs itself (``call``)
        self._vmeta = {}            # (key, input shape, dtype) -> output shapes of a view op (``_plain_views``)
        # numpy's form of ``impl`` for integer inputs, the same function on the host (``_host_call``)
        self.host = None
        self._hostok = {}           # (key, input shapes) -> output dtype and shape JAX gives, or None
        self._hostfast = {}         # ``fast_key`` with shapes -> (key, output dtype and shape) or _MISS (``_host_call``)
        # ``(stacked, *statics) -> array``: the join of the host values ``stacked`` (one per input, along
        # a new first axis) as the op joins them (``stack``, ``cat``: ``_host_gather``)
        self.host_join = None
        # ``tensor -> array or None``: the value an in-place form writes whatever the tensor holds (``zero_``),
        # written as it is when nothing is recorded (``call_inplace``); None: computed by the op
        self.constant = None
        _ALL_OPS.add(self)

    def __repr__(self):
        return f"<op {self.name}>"

    # -- compiled functions --------------------------------------------------
    def pure(self, key):
        """The implementation with the statics bound and inputs cast to the computation dtypes."""
        statics, casts = key
        impl, varargs = self.impl, self.varargs
        spec = None
        if statics and type(statics[-1]) is ScalarSpec:
            spec, statics = statics[-1], statics[:-1]

        def f(*arrays):
            cast = [a if c is None or a is None or a.dtype == c else a.astype(c)
                    for a, c in zip(arrays, casts)]
            if spec is not None:        # the Python number itself: XLA specialises x ** 2 to x * x
                cast[spec.pos] = spec.value
            if varargs:
                return impl(cast, *statics)
            return impl(*cast, *statics)
        f.__name__ = f.__qualname__ = self.name     # the program's name in JAX's logs and profiles
        return f

    def forward(self, key):
        fn = self._fwd.get(key)
        if fn is None:
            fn = self._fwd[key] = (self.forward_factory(key) if self.forward_factory is not None
                                   else _pace.jit(self.pure(key)))
        return fn

    def forward_views(self, key, spec):
        """The forward for ``key`` taking the arguments of ``_views.view_args``: the arrays with
        views left out, the views' storage arrays and their offsets; it reads the views itself, so
        an op on views (``torch.stack([data[i:i + 8] for i in ix])``) runs as one program."""
        k = (key, spec)
        fn = self._vfwd.get(k)
        if fn is None:
            f = self.pure(key)
            positions, reads = spec

            def run(plain, roots, offsets):
                vals = list(plain)
                for i, v in zip(positions, _views.read_many(roots, reads, offsets)):
                    vals[i] = v
                return f(*vals)
            run.__name__ = run.__qualname__ = f"{self.name}_on_views"
            if len(self._vfwd) > 256:
                self._vfwd.clear()
            fn = self._vfwd[k] = _pace.jit(run)
        return fn

    def vjp(self, key, mask, diff_outs):
        """Compiled ``(arrays, cotangents) -> grads of the inputs in mask``."""
        k = (key, mask, diff_outs)
        fn = self._bwd.get(k)
        if fn is None:
            fn = self._bwd[k] = _pace.jit(vjp_function(self.pure(key), mask, diff_outs))
        return fn


def vjp_function(f, mask, diff_outs):
    """``(arrays, cts) -> grads`` for the inputs flagged in ``mask`` of ``f``."""
    def bwd(arrays, cts):
        diff = [a for a, m in zip(arrays, mask) if m]

        def g(*d):
            it = iter(d)
            full = [next(it) if m else a for a, m in zip(arrays, mask)]
            out = f(*full)
            if diff_outs is None:
                # a one-element tuple result is one output: its cotangent comes as one array
                return out[0] if type(out) in (tuple, list) and len(out) == 1 else out
            return tuple(out[i] for i in diff_outs)
        _, pullback = jax.vjp(g, *diff)
        # PyTorch's gradient convention for complex values is the conjugate of JAX's:
        # torch_vjp(ct) = conj(jax_vjp(conj(ct))); a no-op for real values.
        return tuple(_conj(x) for x in pullback(jax.tree.map(_conj, cts)))
    bwd.__name__ = bwd.__qualname__ = f"{f.__name__}_vjp"
    return bwd


def _conj(x):
    return jnp.conj(x) if x is not None and jnp.iscomplexobj(x) else x


# ---- dtype rules ---------------------------------------------------------

_SCALAR_CATEGORY = {builtins.bool: D.BOOL, builtins.int: D.INT, builtins.float: D.FLOAT, builtins.complex: D.COMPLEX}


def _promoted(args):
    """PyTorch's result dtype over tensor arguments and Python scalars."""
    # fast path: every tensor has the same dtype and no scalar is of a higher category
    common = None
    for a in args:
        if a is None:
            continue
        if isinstance(a, _Tensor):
            if common is None:
                common = a._dtype
            elif a._dtype is not common:
                return _promoted_tiers(args)
    if common is None:
        return _promoted_tiers(args)
    for a in args:
        if a is not None and not isinstance(a, _Tensor):
            cat = _SCALAR_CATEGORY.get(type(a))
            if cat is None or cat > common.category:
                return _promoted_tiers(args)
    return common


def _promoted_tiers(args):
    dims = zeros = scal = None
    for a in args:
        if a is None:
            continue
        if type(a) is _Tensor or isinstance(a, _Tensor):
            d = a._dtype
            if a._ndim():
                dims = d if dims is None else D.promote_types(dims, d)
            else:
                zeros = d if zeros is None else D.promote_types(zeros, d)
        else:
            d = D.scalar_dtype(a)
            scal = d if scal is None else D.promote_types(scal, d)
    return D._combine(D._combine(dims, zeros), scal)


def rule_promote(args, statics=None):
    return _promoted(args)


def rule_float(args, statics=None):
    d = _promoted(args)
    return d if d.category >= D.FLOAT else D.get_default_dtype()


def rule_keep(args, statics=None):
    return None


def rule_int(args, statics=None):
    d = _promoted(args)
    if d.category > D.INT:
        raise RuntimeError(f'"{_op_name_hint()}" not implemented for \'{_type_word(d)}\'')
    return d


def rule_first(args, statics=None):
    """Cast every tensor argument to the first one's dtype (index, where-like ops)."""
    return args[0]._dtype


_current_op = [None]


def _op_name_hint():
    return _current_op[0] or "op"


DTYPE_RULES = {"promote": rule_promote, "float": rule_float, "keep": rule_keep, "int": rule_int,
               "first": rule_first}

_TYPE_WORDS = D.WORDS   # "Float", "Long", ... (torch.FloatTensor, error messages)


def _type_word(d):
    return _TYPE_WORDS[d.name]


# ---- dispatch ------------------------------------------------------------

_Tensor = None      # set by _tensor.py (avoids an import cycle)
# the tensor classes the fast paths take as they take Tensor (``fast_key``): Tensor (added by _tensor.py)
# and nn.Parameter (by nn/parameter.py), whose ops behave as a Tensor's (their results are Tensors)
_ROOTS = set()


def _as_static(x):
    return x


def op_key(op, args, statics):
    """The compiled-cache key: statics and the dtype each input is cast to."""
    try:
        comp = op.dtype_rule(args, statics)
    except TypeError as e:
        raise TypeError(f"{op.name}(): {e}") from None
    if isinstance(comp, tuple):
        casts = tuple(None if c is None else c.np for c in comp)
    else:
        c = None if comp is None else comp.np
        casts = (c,) * len(args)
    spec = op.scalar_spec
    if spec is not None:
        pos, values = spec
        a = args[pos] if pos < len(args) else None
        if (type(a) is builtins.int or type(a) is builtins.float) and a in values:
            statics = statics + (ScalarSpec(pos, builtins.int(a) if a == builtins.int(a) else a),)
    return (statics, casts)


class ScalarSpec(tuple):
    """A Python-number operand compiled into the program (``Op.scalar_spec``): the last static of a key."""
    __slots__ = ()

    def __new__(cls, pos, value):
        return tuple.__new__(cls, (pos, value))

    pos = property(lambda self: self[0])
    value = property(lambda self: self[1])


_SCALAR_TYPES = (builtins.int, builtins.float, builtins.bool, builtins.complex)
_constants = {}


# ops whose Python-int operand is wrapped to an integer tensor's dtype as PyTorch does (``int8 + 1000``
# is ``int8 + (-24)``); elsewhere (``where``, ``clamp``, ``pow``, fills) an out-of-range number is an error
WRAPS_INT_SCALARS = frozenset({"add", "sub", "rsub", "mul", "div", "floor_divide", "remainder", "fmod", "bitwise_and",
                               "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift", "eq", "ne",
                               "lt", "le", "gt", "ge"})


def _wrapped_int(value, np_dtype):
    """``value`` as PyTorch passes a Python int to an integer kernel: through int64/uint64, then
    wrapped to the dtype's width."""
    if value >= 1 << 64:
        raise OverflowError("int too big to convert")
    if value < -(1 << 63):
        raise OverflowError("can't convert negative int to unsigned")
    info = np.iinfo(np_dtype)
    width = info.bits
    v = value % (1 << width)
    if info.min < 0 and v > info.max:
        v -= 1 << width
    return v


def _constant(value, np_dtype, wrap=False):
    """A device array for a Python scalar operand, cached: a compiled call with an array
    argument is ~2 us cheaper than with a Python scalar, and loops reuse the same constants.
    With ``wrap`` an int out of the integer dtype's range wraps (``WRAPS_INT_SCALARS``)."""
    k = (type(value), value, np_dtype, str(value) if type(value) is builtins.float else None)
    c = _constants.get(k)
    if c is None:
        try:
            host = np.asarray(value, dtype=np_dtype)
        except OverflowError:
            if wrap and type(value) is builtins.int and np.dtype(np_dtype).kind in "iu":
                return jax.device_put(np.asarray(_wrapped_int(value, np_dtype), dtype=np_dtype))
            raise RuntimeError(f"value cannot be converted to type {np.dtype(np_dtype).name} without overflow") from None
        c = put_cached(_constants, k, host, 4096)
    return c


def put_cached(cache, key, host, limit):
    """The numpy value ``host`` on the device, kept in ``cache`` under ``key`` (emptied once it holds
    ``limit`` entries) for later calls, unless it was made under a JAX trace (a compiled step's, a
    user's ``jax.jit``): then it is staged into that program and never kept, since a later call
    would get a leaked tracer.  The one way the constant caches (``_constant``, ``zero_``'s
    shared zeros) fill."""
    c = jax.device_put(host)
    if isinstance(c, jax.core.Tracer):
        return c
    if len(cache) >= limit:
        cache.clear()
    cache[key] = c
    return c


_extra = None       # forward AD / profiler hook (autograd/_intercept.py); None: off, one test per call


_MISS = object()


def fast_key(statics, args, shapes, spec=None):
    """The key of every fast-path cache (``Op._fast``, ``_dfast``, ``_hostfast``), for arguments that
    are tensors or Python numbers: the statics, the default dtype, and per argument what the general
    path's answer depends on: a tensor's dtype and its shape (``shapes``: the deferred path's output
    shapes follow from them) or else whether it is 0-dim (promotion tells 0-dim tensors from others);
    a number's type (its value is an input).  The arity is part of it (a list op, ``block_diag(a)`` or
    ``block_diag(a, b)``, takes one tensor or several).  With ``spec`` (``Op.scalar_spec``: ``pow``), the
    number at its position is part of it too: a special exponent is compiled into the program, and an
    integer base's negative exponent is an error."""
    T = _Tensor
    k = [statics, _DEFAULT[0]]
    for a in args:
        if type(a) in _ROOTS:
            s = a._view[0] if a._view is not None else a._storage._a.shape
            k.append((a._dtype, s if shapes else not s))
        else:
            k.append(type(a))
    if spec is not None:
        a = args[spec[0]] if spec[0] < len(args) else None
        k.append(a if type(a) in _SCALAR_TYPES else None)
    return tuple(k)


def _fast_call(op, args, statics, T, state):
    """The cached path of ``call`` for one or two plain tensors of one dtype (or a tensor and a Python
    number): everything the general path derives (cast dtypes, output dtype, the program; deferred:
    the output shapes) follows from the key, learned by the general path (``_learn_fast``,
    ``_learn_dfast``).  ``state``: this thread's modes (``_state.ThreadState``).  ``_MISS``: take the
    general path."""
    n = len(args)
    if n == 1:
        a = args[0]
        if type(a) not in _ROOTS:
            return _MISS
        if a._view is not None:
            return _fast_many(op, args, statics, T, state)
        x = a._storage._a
        if type(x) is _HOST:
            x = a._storage.array
        xs = [x]
        grad = a._requires_grad
        scalar = None
    elif n == 2:
        a, b = args
        tb = type(b)
        if type(a) not in _ROOTS:
            return _MISS
        if a._view is not None:
            return _fast_many(op, args, statics, T, state)
        x = a._storage._a
        if type(x) is _HOST:
            x = a._storage.array
        if tb is float or tb is int:
            # a tensor and a Python number: the number's type decides the dtypes, its value is an input
            xs = [x]
            grad = a._requires_grad
            scalar = b
        elif tb in _ROOTS and a._dtype is b._dtype and b._view is None:
            y = b._storage._a
            if type(y) is _HOST:
                y = b._storage.array
            xs = [x, y]
            grad = a._requires_grad or b._requires_grad
            scalar = None
        else:
            return _fast_many(op, args, statics, T, state)
    else:
        return _fast_many(op, args, statics, T, state)
    records = grad and state.grad_enabled and op.differentiable
    if _LAZY[0] and (records or _NOGRAD[0]) and not _RECORD_EXTRA[0]:
        for v in xs:
            if type(v) is not _LazyRef and type(v) is not _ARRAY:      # (host values were put on the device)
                break
        else:
            hit = op._dfast.get(fast_key(statics, args, True, op.scalar_spec))
            if hit is not None:
                key = hit[0]
                if scalar is not None:
                    # as the general path converts it (an int out of an integer dtype's range wraps where
                    # PyTorch wraps it, and raises PyTorch's error elsewhere)
                    xs.append(_constant(scalar, key[1][1], op.name in WRAPS_INT_SCALARS))
                res = _enqueue(op, key, hit[1], args, xs, statics, T._wrap, record if records else _no_record, state)
                if res is not None:
                    return res if op.returns is None else op.returns(*res)
                return _MISS
            if records or _lazy.small(xs):
                return _MISS        # the general path defers it, and learns the key
    if records:
        return _MISS
    hit = op._fast.get(fast_key(statics, args, False, op.scalar_spec))
    if hit is None:
        return _MISS
    for v in xs:
        if type(v) is _LazyRef:
            return _MISS
    try:
        r = (hit[0](x, _constant(scalar, hit[2], op.name in WRAPS_INT_SCALARS)) if scalar is not None
             else hit[0](*xs))
    except Exception:       # noqa: BLE001 - the general path raises it properly
        return _MISS
    return T._wrap(r, dtype=hit[1])


def _fast_many(op, args, statics, T, state):
    """The deferred fast path for any other arity or mix of dtypes (``linear(x, w, b)``, an
    embedding's weight and indices, a recurrent cell's eight arguments), and for views among the
    arguments (``x @ w.t()``): tensors, ``None`` and, after the first position, Python numbers.  The
    key (``fast_key`` with shapes) holds every tensor's dtype and shape (a view's own) and every
    number's type, all a ``by_dtype``/``by_shape`` rule and the output shapes depend on; it was
    learned by the general path (``_learn_dfast``).  A view's value is read as the general path
    reads it: its cached value, else a read joining the open segment (``_views.deferred_read``).
    ``_MISS``: take the general path."""
    dfast = op._dfast
    if not dfast or not _LAZY[0] or _RECORD_EXTRA[0]:
        return _MISS
    xs = []
    grad = False
    nums = False        # a Python number among the arguments: converted once the key is known
    unread = None       # positions of views whose values are not cached: read once the key is known
    for i, a in enumerate(args):
        ta = type(a)
        if ta in _ROOTS:
            if a._view is not None:
                if a._cache_gen == a._storage.gen:
                    x = a._cache
                    if type(x) is not _ARRAY:
                        return _MISS
                else:
                    if unread is None:
                        unread = []
                    unread.append(i)
                    x = None
                xs.append(x)
                if a._requires_grad:
                    grad = True
                continue
            x = a._storage._a
            tx = type(x)
            if tx is _HOST:
                x = a._storage.array
            elif tx is not _ARRAY and tx is not _LazyRef:
                return _MISS
            xs.append(x)
            if a._requires_grad:
                grad = True
        elif a is None:
            xs.append(None)
        elif (ta is float or ta is int) and i:
            xs.append(a)
            nums = True
        else:
            return _MISS
    records = grad and state.grad_enabled and op.differentiable
    if not (records or _NOGRAD[0]):
        return _MISS
    hit = dfast.get(fast_key(statics, args, True, op.scalar_spec))
    if hit is None:
        return _MISS
    key = hit[0]
    if unread is not None:
        for i in unread:
            r = _views.deferred_read(args[i], records)
            if r is None:
                return _MISS        # (the general path reads it in the op's own program)
            xs[i] = r
    if nums:
        # converted as the general path converts them (``_constant``; the learned key has their casts)
        wraps = op.name in WRAPS_INT_SCALARS
        casts = key[1]
        for i, a in enumerate(args):
            ta = type(a)
            if ta is float or ta is int:
                xs[i] = _constant(a, casts[i], wraps)
    res = _enqueue(op, key, hit[1], args, xs, statics, T._wrap, record if records else _no_record, state)
    if res is None:
        return _MISS
    return res if op.returns is None else op.returns(*res)


HOST_MAX_NUMEL = 64


def _host_call(op, args, statics, T):
    """Integer arithmetic and comparisons on a few elements whose values are on the host (a CPU
    array is its own host copy): numpy computes them, and the result is a host value, put on the
    device only when a device op asks for it (``_views.Storage``).  ``data[i:i + 8]`` for ``i`` in
    an index tensor costs microseconds, not a compiled call and a read.  The key is the general
    path's (``op_key``: its dtype rule and errors); numpy's integer ufuncs compute what XLA's do
    for inputs cast to one integer dtype (two's complement, wrapping), and the first call per key
    and shapes checks that JAX's function gives the same dtype and shape.  ``_MISS``: the general
    path.  ``call`` calls it with an integer tensor first (a number first takes the general path:
    PyTorch's errors, or its Scalar overload)."""
    if op.host_join is not None and len(args) > 2 and args[0]._view is not None:
        r = _host_gather(op, args, statics, T)
        if r is not _MISS:
            return r
    hosts = []
    for a in args:
        ta = type(a)
        if ta is T:
            d = a._dtype
            if d.category != D.INT:
                return _MISS
            st = a._storage
            h = st._host
            if h is None:
                if type(st._a) is not _ARRAY or not _lazy.single_cpu():
                    return _MISS        # pending (it stays in its segment), or on an accelerator
                h = st.host()
            view = a._view
            if view is not None:
                if view[0]:
                    if math.prod(view[0]) > HOST_MAX_NUMEL:
                        return _MISS
                    h = _views.host_value(st, view)
                else:                   # one element (``i`` of ``for i in ix``), as a 0-dim array
                    h = (h if h.ndim == 1 else h.reshape(-1))[view[2], ...]
            elif h.size > HOST_MAX_NUMEL:
                return _MISS
            hosts.append(h)
        elif ta is int or ta is bool:
            hosts.append(a)
        else:
            return _MISS
    hk = fast_key(statics, args, True, op.scalar_spec)      # all the key and JAX's output depend on, for ``by_dtype`` rules
    hit = op._hostfast.get(hk)
    if hit is None:
        hit = _host_learn(op, args, statics, hosts, hk)
    if hit is _MISS:
        return _MISS
    key, ok = hit
    casts = key[1]
    try:
        # integer ufuncs on arrays wrap silently, as XLA does
        if len(hosts) == 2:         # (``i + 8``: no list made)
            r = op.host(np.asarray(hosts[0], dtype=casts[0]), np.asarray(hosts[1], dtype=casts[1]), *key[0])
        else:
            r = op.host(*[np.asarray(h, dtype=c) for h, c in zip(hosts, casts)], *key[0])
        r = np.asarray(r)
    except (OverflowError, TypeError, ValueError):
        return _MISS
    if r.dtype != ok[0] or r.shape != ok[1]:
        return _MISS
    if r.base is not None:
        r = r.copy()
    r.setflags(write=False)
    return T._wrap(r)


def _host_gather(op, args, statics, T):
    """``_host_call`` for a join (``stack``, ``cat``: ``op.host_join``) of views of one storage with
    one shape and strides, ``torch.stack([data[i:i + 8] for i in ix])``: one numpy gather of their
    elements (``_views.gather_views``) instead of a numpy view per tensor and a join of them, the
    same elements in the same order.  The answer's dtype and shape are the learned ones, as
    ``_host_call`` checks them; ``_MISS`` (the generic host path, which learns the key) otherwise."""
    a = args[0]
    st = a._storage
    h = st._host
    dt = a._dtype
    if h is None or dt.category != D.INT or dt.np != h.dtype:
        return _MISS
    view = a._view
    shape, strides = view[0], view[1]
    if math.prod(shape) > HOST_MAX_NUMEL:
        return _MISS
    offsets = []
    for a in args:
        if type(a) is not T or a._storage is not st or a._dtype is not dt:
            return _MISS
        v = a._view
        if v is None or (v[0] != shape or v[1] != strides):
            return _MISS
        offsets.append(v[2])
    hit = op._hostfast.get(fast_key(statics, args, True, op.scalar_spec))
    if hit is None or hit is _MISS:
        return _MISS
    key, ok = hit
    if key[1][0] != h.dtype:        # (one dtype among the inputs: the join casts none of them)
        return _MISS
    r = op.host_join(_views.gather_views(h, offsets, shape, strides), *key[0])
    if r.dtype != ok[0] or r.shape != ok[1]:
        return _MISS
    r.setflags(write=False)
    return T._wrap(r)


def _host_learn(op, args, statics, hosts, hk):
    """``_host_call``'s entry for ``args``: (the general path's key, the output dtype and shape JAX
    gives), or ``_MISS`` when numpy may not compute it (a cast that is not to an integer dtype, JAX
    disagreeing).  Kept under ``hk`` for ``by_dtype`` and ``by_shape`` rules (their key follows from it)."""
    key = op_key(op, args, statics)
    casts = key[1]
    if not all(c is not None and c.kind in "iu" for c in casts):
        hit = _MISS
    else:
        sig = (key, tuple(np.shape(h) for h in hosts))
        ok = op._hostok.get(sig, _MISS)
        if ok is _MISS:
            try:
                o = jax.eval_shape(op.pure(key), *[jax.ShapeDtypeStruct(s, c) for s, c in zip(sig[1], casts)])
                ok = (o.dtype, o.shape) if isinstance(o, jax.ShapeDtypeStruct) else None
            except Exception:       # noqa: BLE001 - the general path raises it as the op should
                ok = None
            op._hostok[sig] = ok
        hit = _MISS if ok is None else (key, ok)
    if keyed_by_form(op.dtype_rule, statics, True, op.scalar_spec is not None):
        if len(op._hostfast) > 256:
            op._hostfast.clear()
        op._hostfast[hk] = hit
    return hit


def call(op, args, statics, out=None):
    """Run ``op`` on ``args`` (tensor positions) and ``statics``; record autograd."""
    state = _local.state        # this thread's modes, read once per op (``_state.ThreadState``)
    if _extra is not None:
        if state.pass_call is args:
            state.pass_call = None
        else:
            return _extra(op, args, statics, out)
    T = _Tensor
    tracker = state.tracker
    if tracker is not None:
        tracker.read(args)
    elif out is None:
        if op.host is not None and args and type(args[0]) is T and args[0]._dtype.category == _INT:
            res = _host_call(op, args, statics, T)      # (it takes integer tensors only)
            if res is not _MISS:
                return res
        if op.view is None:         # (a view op is never deferred nor run by a program: no fast entry)
            res = _fast_call(op, args, statics, T, state)
            if res is not _MISS:
                return res
    if args and type(args[0]) in _SCALAR_TYPES and not op.scalar_self:
        _not_a_tensor(op, args)
    key = op_key(op, args, statics)
    if op.view is not None and out is None and len(args) == 1:
        a = args[0]
        if isinstance(a, T) and tracker is None:
            if not (a._requires_grad and state.grad_enabled and op.differentiable):
                views = _plain_views(op, a, key, statics) if op.forward_factory is None else None
            elif not _RECORD_EXTRA[0]:
                views = _recorded_views(op, a, key, statics)
            else:
                views = None
            if views is not None:
                return op.returns(*views) if op.returns is not None else views
    arrays = []
    needs_grad = False
    tensors = False
    pending = False
    unread = None       # views whose values are not cached: read together (``_views.read_views``)
    for a, cast in zip(args, key[1]):
        if isinstance(a, T):
            tensors = True
            if a._view is None:
                r = a._storage._a
                if type(r) is _LazyRef:
                    pending = True
                elif type(r) is _HOST:      # a host value: on the device once, not at every call
                    r = a._storage.array
                arrays.append(r)
            elif a._cache_gen == a._storage.gen:
                arrays.append(a._cache)
            else:
                if unread is None:
                    unread = []
                unread.append(len(arrays))
                arrays.append(a)
            if a._requires_grad:
                needs_grad = True
        elif cast is not None and type(a) in _SCALAR_TYPES:
            arrays.append(_constant(a, cast, op.name in WRAPS_INT_SCALARS))
        else:
            arrays.append(a)
    if not tensors and args and all(a is None or type(a) in _SCALAR_TYPES for a in args):
        if op.name in NUMBERS_AS_TENSORS:       # torch.add(2, 3): the first number becomes a 0-dim tensor
            first = T._wrap(jnp.asarray(args[0], D.scalar_dtype(args[0]).np))
            return call(op, (first,) + tuple(args[1:]), statics, out)
        raise TypeError(f"{op.name}() received an invalid combination of arguments - got "
                        f"({', '.join(type(a).__name__ for a in args)}), but expected at least one Tensor")
    needs_grad = needs_grad and state.grad_enabled and op.differentiable
    lazy = ((needs_grad or _NOGRAD[0]) and _LAZY[0] and out is None and op.view is None
            and op.forward_factory is None and tracker is None and not _RECORD_EXTRA[0] and _extra is None)
    if lazy and unread is not None:
        # the views' reads join the segment; a recorded op's node keeps the values read, pending
        # (``x @ w.t()``: the read of ``w.t()`` and the product are one program)
        left = []
        for i in unread:
            r = _views.deferred_read(arrays[i], needs_grad)
            if r is None:           # on another device than the open segment's; a concrete root of an op
                left.append(i)      # that records nothing (its own program reads it)
            else:
                arrays[i] = r
                pending = True
        unread = left or None
    if unread is not None and (out is not None or op.view is not None or op.forward_factory is not None
                               or tracker is not None or needs_grad):
        # the values are needed on their own (a recorded node keeps its inputs): read them
        if len(unread) == 1:
            arrays[unread[0]] = arrays[unread[0]]._arr()
        else:
            for i, v in zip(unread, _views.read_views([arrays[i] for i in unread])):
                arrays[i] = v
        unread = None
    if lazy and unread is None:
        meta = _lookup(op, key, arrays)
        if meta is not None:
            deferred = _enqueue(op, key, meta, args, arrays, statics, T._wrap,
                                record if needs_grad else _no_record, state)
            if deferred is not None:
                if args and keyed_by_form(op.dtype_rule, statics, True, op.scalar_spec is not None):
                    _learn_dfast(op, args, statics, key, meta)
                if op.returns is not None:
                    return op.returns(*deferred)
                return deferred
    if pending:
        arrays = _lazy.concrete(arrays)
    try:
        if unread is None:
            fn = op.forward(key)
            result = _interp.call(fn, arrays) if op.forward_factory is None else fn(*arrays)
        else:                           # views read inside the op's program
            fn = None
            spec, view_args = _views.view_args(arrays, unread)
            result = _interp.call(op.forward_views(key, spec), view_args)
    except TypeError as e:
        if "shapes for broadcasting" in str(e):     # JAX's TypeError; PyTorch's RuntimeError
            raise _translate(op, e, args) from None
        raise TypeError(f"{op.name}(): {e}") from None
    except IndexError as e:            # dimension / index out of range: IndexError in PyTorch too
        raise IndexError(f"{op.name}(): {e}") from None
    except ValueError as e:
        raise _translate(op, e, args) from None
    if lazy:
        _lazy.learn(op, key, arrays, result)
    if out is not None:
        return _write_out(op, out, result, needs_grad, args)
    if type(result) is tuple or type(result) is list:
        outs = tuple(T._wrap(r) for r in result)
    else:
        outs = (T._wrap(result),)
        if (not needs_grad and fn is not None and op.view is None and op.returns is None and op.forward_factory is None
                and keyed_by_form(op.dtype_rule, statics, False, op.scalar_spec is not None) and 0 < len(args) <= 2
                and tracker is None):
            _learn_fast(op, args, statics, fn, outs[0]._dtype, key)
    if op.view is not None:
        _make_views(op, args[0], outs, statics)
    if needs_grad:
        node = record(op, key, args, arrays, outs, statics)
        if op.view is not None:
            _mark_multi_views(node, args[0], outs)
    if op.returns is not None:
        return op.returns(*outs)
    if len(outs) == 1 and type(result) is not tuple and type(result) is not list:
        return outs[0]
    return outs


def keyed_by_form(rule, statics, shapes, valued=False):
    """Does the dtype rule's answer (and its errors) follow from what ``fast_key(statics, args, shapes)``
    holds, so that a fast path may cache it?  ``rule.by_dtype``: it reads the statics and the arguments'
    dtypes and types only; ``by_shape``: their shapes too (only keys with shapes); ``by_dtype_when(statics)``:
    it reads only dtypes for these statics (``div`` without a rounding mode; with one, integer division
    checks values); ``by_value``: dtypes, and the value of the number at ``Op.scalar_spec``'s position,
    which the key then holds (``valued``)."""
    if getattr(rule, "by_dtype", False) or (shapes and getattr(rule, "by_shape", False)):
        return True
    if valued and getattr(rule, "by_value", False):
        return True
    when = getattr(rule, "by_dtype_when", None)
    return when is not None and when(statics)


# rules whose result (and errors) depend only on the arguments' dtypes (for tensors of one dtype)
for _rule in (rule_promote, rule_float, rule_keep, rule_int, rule_first):
    _rule.by_dtype = True
_DEFAULT = D._default


def _learn_dfast(op, args, statics, key, meta):
    """Remember a deferral for ``call``'s fast paths (``Op._dfast``): for root tensors (and ``None``,
    and Python numbers after the first position) the key and output meta follow from ``fast_key``."""
    if _dfast_form(args, key[1]):
        if len(op._dfast) > 256:
            op._dfast.clear()
        op._dfast[fast_key(statics, args, True, op.scalar_spec)] = (key, meta)


def _learn_fast(op, args, statics, fn, out_dtype, key):
    """Remember the compiled forward for ``call``'s fast path (``Op._fast``), for the same forms."""
    if _fast_form(args):
        if len(op._fast) > 256:
            op._fast.clear()
        if len(args) == 1 or type(args[1]) in _ROOTS:
            op._fast[fast_key(statics, args, False, op.scalar_spec)] = (fn, out_dtype)
        elif key[1][1] is not None:     # a Python number: its cast dtype converts it
            op._fast[fast_key(statics, args, False, op.scalar_spec)] = (fn, out_dtype, key[1][1])


def _fast_form(args):
    """Are ``args`` what ``_fast_call`` takes: one root tensor, two of one dtype, or one and a number?"""
    a = args[0]
    if type(a) not in _ROOTS or a._view is not None:
        return False
    if len(args) == 1:
        return True
    b = args[1]
    tb = type(b)
    return tb is float or tb is int or (tb in _ROOTS and b._view is None and b._dtype is a._dtype)


def _dfast_form(args, casts):
    """Are ``args`` what the deferred fast paths take: tensors (roots or views: a key holds their dtype
    and shape either way), at least one; ``None``; Python numbers after the first position, each with
    the dtype it is cast to (``casts``, the key's)?"""
    seen = False
    for i, a in enumerate(args):
        t = type(a)
        if t in _ROOTS:
            seen = True
        elif a is None:
            continue
        elif (t is float or t is int) and i and casts[i] is not None:
            continue
        else:
            return False
    return seen


# Ops whose first tensor parameter takes a Python number (PyTorch has a Scalar overload there, or its
# argument parser allows numbers as tensors for them); elsewhere a number where PyTorch's signature has
# ``Tensor self`` is a TypeError, as in PyTorch.
SCALAR_SELF = {"add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "pow", "float_power",
               "xlogy", "special_xlogy", "special_xlog1py", "special_zeta", "xlog1py", "zeta", "bitwise_and",
               "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift", "where", "subtract",
               "multiply", "divide", "isin"} | {f"special_{kind}_polynomial_{v}" for kind, vs in (
                   ("chebyshev", "tuvw"), ("shifted_chebyshev", "tuvw"), ("hermite", ("h", "he")),
                   ("laguerre", "l"), ("legendre", "p")) for v in vs}


# ops PyTorch's argument parser runs on two Python numbers (torch.add(2, 3) is tensor(5))
NUMBERS_AS_TENSORS = {"add", "sub", "mul", "div", "true_divide", "floor_divide", "subtract", "multiply", "divide"}


def _not_a_tensor(op, args):
    got = ", ".join(type(a).__name__ for a in args)
    raise TypeError(f"{op.name}() received an invalid combination of arguments - got ({got}), but expected "
                    f"a Tensor as argument 1 ('self'), not {type(args[0]).__name__}")


def _translate(op, e, args=()):
    msg = str(e)
    if "out of bounds for array of dimension" in msg:     # a dimension out of range: IndexError in PyTorch
        return IndexError(f"{op.name}(): {msg}")
    if "Incompatible shapes for broadcasting" in msg or "broadcast" in msg:
        said = broadcast_error([a._shape() for a in args if isinstance(a, _Tensor)])
        if said is not None:
            return RuntimeError(said)
        return RuntimeError(f"{op.name}(): the shapes of the operands are not broadcastable: {msg}")
    return RuntimeError(f"{op.name}(): {msg}")


def broadcast_error(shapes):
    """PyTorch's message for shapes that do not broadcast: the operands are folded in order, and the
    first mismatch from the last dimension is named (None when they broadcast)."""
    acc = ()
    for s in shapes:
        n = max(len(acc), len(s))
        a = (1,) * (n - len(acc)) + tuple(acc)
        b = (1,) * (n - len(s)) + tuple(s)
        for d in range(n - 1, -1, -1):
            if a[d] != b[d] and a[d] != 1 and b[d] != 1:
                return (f"The size of tensor a ({a[d]}) must match the size of tensor b ({b[d]}) at non-singleton "
                        f"dimension {d}")
        acc = tuple(y if x == 1 else x for x, y in zip(a, b))
    return None


def _plain_views(op, base, key, statics):
    """A view op that records nothing gives views made from their layouts alone (no program runs;
    values are read when needed, ``Tensor._layout_view``), when every output is a view of the input
    with its dtype.  Output shapes come from ``jax.eval_shape`` of the op, once per key and input
    shape.  None: the general path runs (an error to raise, an output that cannot be a view)."""
    shape, dtype = base._shape(), base._dtype
    k = (key, shape, dtype)
    meta = op._vmeta.get(k)
    if meta is None:
        try:
            out = jax.eval_shape(op.forward(key), jax.ShapeDtypeStruct(shape, dtype.np))
        except Exception:       # noqa: BLE001 - the general path raises it as the op should
            return None
        multi = type(out) is tuple or type(out) is list
        outs = out if multi else (out,)
        meta = (tuple(tuple(o.shape) for o in outs), multi,
                all(o.dtype == dtype.np for o in outs))
        if len(op._vmeta) > 256:
            op._vmeta.clear()
        op._vmeta[k] = meta
    shapes, multi, same_dtype = meta
    if not same_dtype:
        return None
    parent = base._layout()
    if not multi:               # (one view, most view ops: no lists made)
        layout = op.view(parent, statics, shapes[0], 0)
        return None if layout is None else base._layout_view(layout)
    layouts = [op.view(parent, statics, s, i) for i, s in enumerate(shapes)]
    if None in layouts:
        return None
    return tuple([base._layout_view(layout) for layout in layouts])


def _recorded_views(op, base, key, statics):
    """A view op that autograd records gives the same layout views as ``_plain_views`` (no program
    runs), with its node: the node keeps the input's value, as every recorded op does, and needs
    only the outputs' shapes and dtypes.  None: the general path runs, as it does for an array sharded
    over several devices (FSDP's parameters: the eager forward keeps the sharding XLA gives the views,
    which the backward's gradients follow)."""
    if not _lazy.single_cpu():
        a = base._storage._a
        if type(a) is not _ARRAY or len(a.sharding.device_set) != 1:
            return None
    views = _plain_views(op, base, key, statics)
    if views is None:
        return None
    if base._view is None:
        arr = base._storage._a
        if type(arr) is _HOST:
            arr = base._storage.array
    elif base._cache_gen == base._storage.gen:
        arr = base._cache
    else:
        # a view of a view (``h[:, -1]`` of an RNN's output): read inside the open segment, as a
        # recorded op reads the views it consumes, not by a program of its own
        arr = _views.deferred_read(base, True) if _LAZY[0] else None
        if arr is None:
            arr = base._arr()
    arrays = [arr]
    outs = views if type(views) is tuple else (views,)
    node = record(op, key, (base,), arrays, outs, statics)
    if type(arr) is _LazyRef:
        _lazy.hold(node, arrays)
    _mark_multi_views(node, base, outs)
    return views


def _mark_multi_views(node, base, outs):
    """Recorded outputs of a function that returns several views, and views of those, may not be
    written in place (``Tensor._check_multi_view``): mark them with their node's name and output."""
    name = type(node).__name__
    if name in MULTI_VIEW_NODES or base.__dict__.get("_multi_view") is not None:
        name = name[:-len("Backward0")] if name.endswith("Backward0") else name
        for i, t in enumerate(outs):
            t._multi_view = (name, i)


def _make_views(op, base, outs, statics):
    """Point view outputs at ``base``'s storage with their strided layout."""
    parent = base._layout()
    # a view made with grad off of a tensor that requires grad is a leaf that requires grad (as in PyTorch)
    nograd_view = base._requires_grad and not _local.state.grad_enabled
    for i, t in enumerate(outs):
        layout = op.view(parent, statics, t.shape, i)
        if layout is None:
            continue
        t._become_view_of(base, layout)
        if nograd_view and t._dtype.category >= D.FLOAT:
            t._requires_grad = True
            t._nograd_view = True


def record(op, key, args, arrays, outs, statics):
    """Attach an OpNode to ``outs`` for the differentiable inputs in ``args``."""
    T = _Tensor
    cls = op._node_cls
    if cls is None:
        grad = op.grad
        if type(grad) is str:
            cls = op._node_cls = node_class(grad)
        else:
            cls = node_class(grad(args, statics))
    edges = []
    mask = []
    kinds = op.edge_kinds
    if kinds is None:           # every argument has an edge
        edge_pos = None
        for a in args:
            if isinstance(a, T) and a._requires_grad:
                fn = a._grad_fn         # Tensor._edge, inlined for the common case
                edges.append((fn, a._output_nr) if fn is not None and a._base is None else a._edge())
                mask.append(True)
            else:
                edges.append((None, 0))
                mask.append(False)
    else:
        edge_pos = []
        for a, kind in zip(args, kinds):
            is_t = isinstance(a, T)
            if kind == 2 or (kind == 1 and not is_t):
                mask.append(False)
                edge_pos.append(None)
                continue
            edge_pos.append(len(edges))
            if is_t and a._requires_grad:
                fn = a._grad_fn
                edges.append((fn, a._output_nr) if fn is not None and a._base is None else a._edge())
                mask.append(True)
            else:
                edges.append((None, 0))
                mask.append(False)
    if len(outs) == 1:
        o = outs[0]
        if o._view is None:
            a = o._storage._a
            out_meta = ((a.shape, a.dtype),)
        else:       # a view: its layout's shape and the tensor's dtype (its values are not read)
            out_meta = ((o._view[0], o._dtype.np),)
    else:
        out_meta = tuple((o._storage._a.shape, o._storage._a.dtype) if o._view is None
                         else (o._view[0], o._dtype.np) for o in outs)
    saves = op.saves
    if not saves:
        saved = ()
    elif saves == _SAVES_ALL:
        saved = tuple([(a, a._vc[0]) for a in args if isinstance(a, T)])
    elif len(saves) == 1 and type(saves[0]) is int:
        t = args[saves[0]] if saves[0] < len(args) else None
        saved = ((t, t._vc[0]),) if isinstance(t, T) else ()
    else:
        saved = _saved_versions(op, args, outs)
    if _INFERENCE_SEEN[0]:
        for t, _ in saved:
            if t.is_inference():
                raise RuntimeError(
                    "Inference tensors cannot be saved for backward. Please do not use Tensors created in inference "
                    "mode in computation tracked by autograd. To work around this, you can make a clone to get a "
                    "normal tensor and use it in autograd, or use `torch.no_grad()` instead of "
                    "`torch.inference_mode()`.")
    if len(outs) == 1:
        diff = _ONE if outs[0]._dtype.category >= _FLOAT else ()
    else:
        diff = tuple([i for i, o in enumerate(outs) if o._dtype.category >= _FLOAT])
    node = cls(tuple(edges), op, key, args, arrays, tuple(mask),
               _ARANGE[len(args)] if edge_pos is None else tuple(edge_pos), out_meta, diff, saved)
    for i in diff:
        o = outs[i]
        o._requires_grad = True
        o._grad_fn = node
        o._output_nr = i
    if _RECORD_EXTRA[0]:                    # saved-tensor hooks / anomaly mode
        _saved_mod.on_record(node, args, outs)
    return node


_SAVES_ALL = ("all",)


class _Aranges(dict):
    """``_ARANGE[n]`` is ``tuple(range(n))``, made once per ``n``."""
    def __missing__(self, n):
        r = self[n] = tuple(range(n))
        return r


_ARANGE = _Aranges()
_ONE = (0,)
_FLOAT = D.FLOAT
_INT = D.INT
_INFERENCE_SEEN = grad_mode.inference_seen


def _saved_versions(op, args, outs):
    saves = op.saves
    if not saves:
        return ()
    T = _Tensor
    saved = []
    for s in saves:
        if s == "result":
            saved.append(saved_output(outs[0]))     # (not the tensor: it refers to the node)
            continue
        if s == "all":
            saved.extend((a, a._vc[0]) for a in args if isinstance(a, T))
            continue
        if s >= len(args):
            continue
        t = args[s]
        if isinstance(t, T):
            saved.append((t, t._vc[0]))
    return tuple(saved)


_RESIZE_WARNING = ("An output with one or more elements was resized since it had shape {}, which does not match "
                   "the required output shape {}. This behavior is deprecated, and in a future PyTorch release "
                   "outputs will not be resized unless they have zero elements. You can explicitly reuse an out "
                   "tensor t by resizing it, inplace, to zero elements with t.resize_(0).")


def _write_out(op, out, result, needs_grad, args=()):
    """The ``out=`` form: write the result into the given tensor(s) and return them.

    Every check runs before anything is written: out tensors are Tensors, none
    requires grad (nor any input, under grad mode), none overlaps itself or an
    input partially, and each result dtype casts to its out tensor's dtype.  A
    wrongly shaped out tensor is resized (with PyTorch's warning unless empty)."""
    T = _Tensor
    results = result if isinstance(result, (tuple, list)) else (result,)
    targets = out if isinstance(out, (tuple, list)) else (out,)
    for t in targets:
        if not isinstance(t, T):
            raise TypeError(f"{op.name}(): argument 'out' must be Tensor, not {type(t).__name__}")
    if needs_grad or (_local.state.grad_enabled and any(t._requires_grad for t in targets)):
        raise RuntimeError(f"{op.name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if len(targets) != len(results):
        raise TypeError(f"{op.name}(): expected {len(results)} out tensors, got {len(targets)}")
    for t, r in zip(targets, results):
        check_no_overlap(t)
        check_no_partial_overlap(t, args, full=op.out_no_alias)
        rd = D.from_numpy_dtype(r.dtype)
        if op.out_exact_dtype and rd is not t._dtype:
            raise RuntimeError(f"{op.name}(): expected out tensor to have dtype {rd}, but got {t._dtype} instead")
        if not D.can_cast(rd, t._dtype):
            raise RuntimeError(f"result type {_type_word(rd)} can't be cast to the desired output type "
                               f"{_type_word(t._dtype)}")
    for t, r in zip(targets, results):
        if tuple(t.shape) != tuple(r.shape):
            if t.numel():
                warnings.warn(_RESIZE_WARNING.format(list(t.shape), list(r.shape)), UserWarning, stacklevel=4)
            t._resize_to(r.shape)
        t._assign(r.astype(t._dtype.np))
    if op.returns is not None:
        return op.returns(*targets)
    return out


# ---- declarations --------------------------------------------------------

_PARAM = re.compile(r"^\s*(\*?)([A-Za-z_\[\]?]+)\s+(\w+)\s*(?:=\s*(.+?))?\s*$")


def _parse(sig):
    m = re.match(r"^\s*(\w+)\((.*)\)\s*$", sig)
    name, body = m.group(1), m.group(2)
    params = []
    kwonly = False
    for part in _split(body):
        if part.strip() == "*":
            kwonly = True
            continue
        pm = _PARAM.match(part)
        if pm is None:
            raise ValueError(f"bad parameter {part!r} in {sig}")
        star, typ, pname, default = pm.groups()
        params.append(dict(star=bool(star), type=typ, name=pname, default=default, kwonly=kwonly))
    return name, params


def _split(body):
    parts, depth, cur = [], 0, ""
    for ch in body:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return parts


def _ints(x):
    """Normalise an int-list argument to a tuple (accepting an int, a list, torch.Size, 0-dim tensors)."""
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return tuple(builtins.int(v) for v in x)
    return (builtins.int(x),)


def _wrap_dim(dim, ndim):
    """``dim`` wrapped into ``[0, ndim)`` as PyTorch's ``maybe_wrap_dim`` does: a 0-dim tensor accepts -1 and 0
    (it counts as 1-dim), anything outside ``[-n, n-1]`` raises PyTorch's IndexError. The one copy: the op
    modules, ``Tensor`` and ``nn.functional`` import it from here."""
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def _size(args):
    """``*int[] size`` arguments: f(2, 3) or f((2, 3)) or f([2, 3]) or f(torch.Size)."""
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = args[0]
    return tuple(builtins.int(v) for v in args)


def _star_size(positional, keyword, name):
    """``*int[] name``: ``f(2, 3)``, ``f((2, 3))`` or ``f(name=(2, 3))``."""
    if keyword is None:
        return _size(positional)
    if positional:
        raise TypeError(f"argument '{name}' given both positionally and by keyword")
    return _size((keyword,))


def _int(x):
    if x is None:
        return None
    try:
        return x.__index__()
    except AttributeError:      # a tuple or float where PyTorch's signature has an int
        raise TypeError(f"expected an int, but got {type(x).__name__}") from None


def _scalar(x):
    if isinstance(x, _Tensor):
        return x.item()
    return x


def _dtype_arg(x):
    if x is None or isinstance(x, D.dtype):
        return x
    raise TypeError(f"dtype must be torch.dtype, not {type(x).__name__}")


# how a tensor parameter appears in next_functions: 0 always (a Python scalar
# there is a wrapped tensor: (None, 0)), 1 only when a Tensor is passed, 2 never
# (indices, masks, conditions: not differentiable).
_EDGE_KIND = {"Tensor": 0, "Tensor[]": 0, "Tensor?": 1, "Index": 2, "Index?": 2}

_STATIC_CONVERT = {"int[]": "_ints", "int[]?": "_ints", "int": "_int", "int?": "_int",
                   "Scalar": "_scalar", "Scalar?": "_scalar", "ScalarType?": "_dtype_arg"}


def defop(sig, impl, *, grad=None, dtype="promote", saves="all", method=True, function=True,
          inplace=False, out=True, view=None, returns=None, aliases=(), method_aliases=(),
          differentiable=True, method_only=False, host=None):
    """Declare one op (see the module docstring).  Returns the Op."""
    sig, _, result = sig.partition(" -> ")
    name, params = _parse(sig)
    tensor_ps = [p for p in params if p["type"] in _EDGE_KIND]
    static_ps = [p for p in params if p["type"] not in _EDGE_KIND]
    varargs = any(p["type"] == "Tensor[]" for p in params)
    if returns is not None:
        returns = _return_type(name, returns)
    if grad is None:
        grad = "".join(w.title() for w in name.split("_")) + "Backward0"   # log1p -> Log1PBackward0
    rule = DTYPE_RULES[dtype] if isinstance(dtype, str) else dtype
    if any(_EDGE_KIND[p["type"]] == 2 for p in tensor_ps):
        rule = _skip_indices(rule, [_EDGE_KIND[p["type"]] != 2 for p in tensor_ps])
    op = Op(name, impl, grad, rule,
            _saves_indices(saves, tensor_ps), view, returns, varargs, differentiable)
    kinds = tuple(_EDGE_KIND[p["type"]] for p in tensor_ps)
    # None: every argument has an edge (``record``'s short loop), as kinds of plain tensors only say
    op.edge_kinds = None if varargs or not any(kinds) else kinds
    op.tensor_names = tuple(p["name"] for p in tensor_ps)     # grad_fn._saved_<name>
    op.static_names = tuple(p["name"] for p in static_ps)
    op.host = host
    op.result = result or "Tensor"      # "Tensor[]": a tuple of tensors (the named tuples: ``returns``)
    if name in OPS:     # two declarations of one op: one of them is dead (or both are half-used)
        _names.duplicate_op(name, OPS[name].impl, impl)
    OPS[name] = op

    sig_parts, lines = [], []
    ns = {"_call": call, "_call_inplace": None, "OP": op, "_ints": _ints, "_size": _size, "_star_size": _star_size,
          "_int": _int, "_scalar": _scalar, "_dtype_arg": _dtype_arg}
    seen_kw = False
    for p in params:
        piece = ("*_v_" if p["star"] else "") + p["name"]
        if p["star"]:
            piece += f", {p['name']}=None"      # f(2, 3), f((2, 3)) or f(name=(2, 3))
        if p["kwonly"] and not seen_kw and not p["star"]:
            sig_parts.append("*")
            seen_kw = True
        if p["default"] is not None:
            ns["_d_" + p["name"]] = eval(p["default"], {"True": True, "False": False, "None": None})
            piece += "=_d_" + p["name"]
        sig_parts.append(piece)
        if p["star"]:
            seen_kw = True
            lines.append(f"    {p['name']} = _star_size(_v_{p['name']}, {p['name']}, {p['name']!r})")
        elif p["type"] in _STATIC_CONVERT:
            lines.append(f"    {p['name']} = {_STATIC_CONVERT[p['type']]}({p['name']})")
    if varargs:
        tensors = tensor_ps[0]["name"]
        targs = f"tuple({tensors})"
    else:
        targs = "(" + "".join(p["name"] + ", " for p in tensor_ps) + ")"
    sargs = "(" + "".join(p["name"] + ", " for p in static_ps) + ")"
    body = "\n".join(lines)
    out_sig = list(sig_parts)
    if out:
        if not seen_kw:
            out_sig.append("*")
        out_sig.append("out=None")
    src = (f"def {name}({', '.join(out_sig)}):\n{body}\n"
           f"    return _call(OP, {targs}, {sargs}, {'out' if out else 'None'})\n")
    exec(src, ns)
    fn = ns[name]
    fn.__doc__ = f"torch.{name}: {sig}"
    fn.__qualname__ = name
    op.function = fn    # namespaced ops (torch.linalg.*, torch.fft.*, ...) publish it under their own name
    if function and not method_only:
        for a in (name, *aliases):
            publish(a, fn)
    if method:
        msrc = (f"def {name}({', '.join(sig_parts)}):\n{body}\n"
                f"    return _call(OP, {targs}, {sargs}, None)\n")
        exec(msrc, ns)
        m = ns[name]
        m.__qualname__ = "Tensor." + name
        m.__doc__ = fn.__doc__
        for a in (name, *aliases, *method_aliases):
            publish(a, method=m)
    if inplace:
        isrc = (f"def {name}_({', '.join(sig_parts)}):\n{body}\n"
                f"    return _call_inplace(OP, {targs}, {sargs})\n")
        ns["_call_inplace"] = call_inplace
        exec(isrc, ns)
        m = ns[name + "_"]
        m.__qualname__ = f"Tensor.{name}_"
        for a in (name, *aliases):
            publish(a + "_", method=m)
    return op


def _skip_indices(rule, promoted):
    """Index/mask arguments keep their dtype and take no part in promotion.

    A rule with ``rule.with_indices = True`` still receives every argument (to check
    the index/mask dtypes, shapes and bounds); it returns the dtype of the others.
    """
    pos = [i for i, p in enumerate(promoted) if p]
    with_indices = getattr(rule, "with_indices", False)

    def wrapped(args, statics=None):
        d = rule(args if with_indices else [args[i] for i in pos], statics)
        if isinstance(d, tuple):
            it = iter(d)
            return tuple(next(it) if p else None for p in promoted)
        return tuple(d if p else None for p in promoted)
    # what the fast paths may cache follows from the base rule, unless it reads the indices (bounds)
    wrapped.by_dtype = getattr(rule, "by_dtype", False) and not with_indices
    wrapped.by_shape = getattr(rule, "by_shape", False) and not with_indices
    wrapped.by_dtype_when = None if with_indices else getattr(rule, "by_dtype_when", None)
    wrapped.by_value = getattr(rule, "by_value", False) and not with_indices
    return wrapped


def _saves_indices(saves, tensor_ps):
    if saves in (None, (), "none"):
        return ()
    if saves == "all":
        return ("all",)
    names = [p["name"] for p in tensor_ps]
    return tuple(s if s == "result" else names.index(s) for s in (saves if isinstance(saves, tuple) else (saves,)))


def _return_type(name, fields):
    cls = RETURN_TYPES.get(name)
    if cls is None:
        base = collections.namedtuple(name, fields)

        def __repr__(self):
            inner = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
            return f"torch.return_types.{name}(\n{inner})"
        cls = type(name, (base,), {"__repr__": __repr__, "__slots__": (),
                                    "__module__": "torch.return_types"})
        RETURN_TYPES[name] = cls
    return cls


# ---- in-place ------------------------------------------------------------

_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to a single memory "
            "location. Please clone() the tensor before performing the operation.")


def check_no_overlap(t):
    """A write target whose elements share memory (an expanded view) is refused, as PyTorch does."""
    view = t._view
    if view is not None and any(s == 0 and n > 1 for n, s in zip(view[0], view[1])):
        raise RuntimeError(_OVERLAP)


_PARTIAL = ("unsupported operation: some elements of the input tensor and the written-to tensor refer to a "
            "single memory location. Please clone() the tensor before performing the operation.")


def check_no_partial_overlap(t, inputs, full=False):
    """An input sharing part (not all) of the written tensor's memory is refused, as PyTorch does;
    with ``full``, any shared memory is (ops whose output is not elementwise in their inputs)."""
    st = t._storage
    layout = None
    for a in inputs:
        if isinstance(a, _Tensor) and a._storage is st:
            if a is t:
                if full:
                    raise RuntimeError(_PARTIAL)
                continue
            layout = layout or t._layout()
            o = _views.overlap(layout, a._layout())
            if o == _views.PARTIAL or (full and o == _views.FULL):
                raise RuntimeError(_PARTIAL)


def check_inplace(t, overlap_ok=False):
    """PyTorch's errors for in-place writes on leaves that require grad, and on overlapping targets."""
    if not overlap_ok:
        check_no_overlap(t)
    if _local.state.grad_enabled:
        if t._base is not None and t.__dict__.get("_nograd_view"):
            raise RuntimeError(
                "A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given "
                "that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by "
                "moving both the view and the inplace either both inside the no_grad block (if you don't want the "
                "inplace to be tracked) or both outside (if you want the inplace to be tracked).")
        if t._base is not None:
            t._check_multi_view("is being modified inplace")
        if t._requires_grad and t._grad_fn is None:
            if t._base is not None:
                raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        base = t._base
        if base is not None and base._requires_grad and base._grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")


def call_inplace(op, args, statics):
    """``t.op_(...)``: compute out of place, write into ``t``, rebase ``t``'s history."""
    state = _local.state
    if _extra is not None:
        if state.pass_inplace is args:
            state.pass_inplace = None
        else:
            return _extra(op, args, statics, None, True)
    t = args[0]
    if not isinstance(t, _Tensor):
        raise TypeError(f"{op.name}_(): self must be a Tensor")
    check_inplace(t, op.overlap_ok)
    if not op.overlap_ok:
        check_no_partial_overlap(t, args[1:])
    T = _Tensor
    # a non-differentiable op (logical_not_) leaves self's history as it was, as in PyTorch
    needs_grad = False
    if state.grad_enabled and op.differentiable:
        for a in args:
            if isinstance(a, T) and a._requires_grad:
                needs_grad = True
                break
    if needs_grad and t._base is not None:
        return _inplace_on_view(op, t, args, statics)
    if op.constant is not None and not needs_grad and t._view is None and state.tracker is None:
        c = op.constant(t)
        if c is not None:
            t._assign(c)        # (a whole root tensor: as a deferred result's write, versions and all)
            return t
    r = _inplace_result(op, t, args, statics, needs_grad)
    saved = _inplace_saved(op, args) if needs_grad and op.saves else None
    if needs_grad or not _assign_deferred(t, r, state):
        t._assign(r._arr())
    if needs_grad:
        node = r._grad_fn
        t._grad_fn = node
        t._output_nr = 0
        t._requires_grad = True
        t._hist_gen += 1
        if t._retains_grad:
            t._wire_retain()
        if saved is not None:
            node._saved = tuple(saved_output(t) if e is None else e for e in saved)
        _drop_self(node, t)
    return t


def _drop_self(node, t):
    """The node of ``t.op_()`` is ``t``'s ``grad_fn`` now: its inputs no longer name ``t`` (whose value is
    the result, not the input's; the node holds the input's array, which ``_saved_self`` gives, as PyTorch
    gives the original ``self``), so the two make no reference cycle."""
    inputs = getattr(node, "_inputs", None)
    if inputs:
        node._inputs = tuple([None if a is t else a for a in inputs])


def _assign_deferred(t, r, state):
    """Write the deferred result ``r`` of an op that records nothing into ``t`` (not a view, same
    dtype and shape) without computing it: ``t``'s storage takes over ``r``'s pending value in the
    open segment (``_lazy.adopt``), so an optimizer update joins the step's program.  False: write
    it the general way."""
    if t._view is not None or r._view is not None or r._dtype is not t._dtype or state.tracker is not None:
        return False
    st = t._storage
    ref = r._storage._a
    if type(ref) is not _LazyRef or ref.shape != st._a.shape or not _lazy.adopt(ref, st):
        return False
    st.gen += 1
    t._cache_gen = st.gen
    t._vc[0] += 1
    return True


def _inplace_saved(op, args):
    """The version-checked tensors of ``self.op_(*others)``'s node, before the write.

    ``self`` is not among them: the node holds the array ``self`` had (PyTorch saves
    a copy of the original self), so later writes to ``self`` cannot invalidate it.
    The other inputs are saved as they are now (``a.mul_(a)`` then fails backward, as
    in PyTorch); ``None`` stands for the result, i.e. ``self`` after the write.
    """
    T = _Tensor
    saved = []
    for s in op.saves:
        if s == "all":
            saved.extend((a, a._vc[0]) for a in args[1:] if isinstance(a, T))
        elif s == "result":
            saved.append(None)
        elif s != 0 and s < len(args) and isinstance(args[s], T):
            saved.append((args[s], args[s]._vc[0]))
    return saved


def _inplace_result(op, t, args, statics, record):
    """``op(*args)`` computed out of place for ``t.op_()``, checked to fit ``t`` (dtype and shape)."""
    if _local.state.grad_enabled == record:
        r = call(op, args, statics)
    else:
        with grad_mode.set_grad_enabled(record):
            r = call(op, args, statics)
    if isinstance(r, tuple):
        r = r[0]
    if r._dtype is not t._dtype:
        _check_cast(r._dtype, t._dtype)
    if tuple(r._shape()) != tuple(t._shape()):
        raise RuntimeError(f"output with shape {list(t.shape)} doesn't match the broadcast shape {list(r.shape)}")
    return r


def _check_cast(src, dst):
    if not D.can_cast(src, dst):
        raise RuntimeError(f"result type {_type_word(src)} can't be cast to the desired output type {_type_word(dst)}")


def _inplace_on_view(op, t, args, statics):
    """In-place on a view of a tensor with history: the base gets CopySlices."""
    base = t._base
    layout = t._layout()
    _inplace_result(op, t, args, statics, False)   # checks dtype and shape before anything is written
    saved = _inplace_saved(op, args) if op.saves else None
    new_base = _ops_views.copy_slices(base, layout, op, op_key(op, args, statics), args)
    base._assign(new_base._arr())
    node = new_base._grad_fn
    if saved is not None and node is not None:
        node._saved = tuple(saved_output(t) if e is None else e for e in saved)
    if node is not None:
        _drop_self(node, base)
    base._grad_fn = node
    base._output_nr = 0
    base._requires_grad = True
    base._hist_gen += 1
    if base._retains_grad:
        base._wire_retain()
    t._refresh_view_grad()
    return t
