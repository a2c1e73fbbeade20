"""``torch.optim.Optimizer``: parameter groups, per-parameter state, state_dict.

Subclasses describe their update as a pure function ``kernel(cfg, params,
grads, states, hyper) -> (new_params, new_states)`` over *all* parameters of
a group (tuples of JAX arrays).  :meth:`Optimizer._update_group` compiles it
once per configuration with ``jax.jit`` (shapes retrace automatically; the
hyperparameters are traced scalars, so a scheduler changing ``lr`` does not
recompile) and writes the results back into the parameters and state tensors
in place: their storage changes and their version counters are bumped, as
PyTorch's in-place updates do.
"""
from __future__ import annotations

import copy
import functools
import itertools
import warnings
from collections import OrderedDict, defaultdict

import jax
import jax.numpy as jnp

from .. import _pace
from .._tensor import Tensor
from .._state import local as _local
from ..autograd import grad_mode
from .._registry import _type_word
from ..nn.modules.module import RemovableHandle


class _RequiredParameter:
    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_KERNELS = {}
_pace.register_cache(_KERNELS.clear)      # made again, paced, if pacing turns on (FSDP over CPU devices)


def _compiled(kernel, cfg):
    key = (kernel, cfg)
    fn = _KERNELS.get(key)
    if fn is None:
        fn = _KERNELS[key] = _pace.jit(functools.partial(kernel, cfg))
    return fn


def _scalar(v):
    """A hyperparameter as the kernel sees it: Python numbers stay Python (traced, weakly typed)."""
    if isinstance(v, Tensor):
        return v._arr()
    if isinstance(v, (tuple, list)):
        return tuple(_scalar(x) for x in v)
    return v


def _typename(x):
    if isinstance(x, Tensor):
        return f"torch.{_type_word(x.dtype)}Tensor"
    return type(x).__name__


class Optimizer:
    """Base class: holds ``param_groups`` (dicts with ``params`` and hyperparameters) and ``state``."""

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {_typename(params)}")
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__.setdefault("_optimizer_step_pre_hooks", OrderedDict())
        self.__dict__.setdefault("_optimizer_step_post_hooks", OrderedDict())

    def __repr__(self):
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += "\n"
            s += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        s += ")"
        return s

    def add_param_group(self, param_group):
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)
        plist = param_group["params"]
        if plist and isinstance(plist[0], tuple):
            param_group["param_names"] = [n for n, _ in plist]
            param_group["params"] = plist = [p for _, p in plist]
        for param in plist:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(param))
            if not self.defaults.get("differentiable", None) and not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        if len(plist) != len({id(p) for p in plist}):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        existing = set()
        for group in self.param_groups:
            existing.update(id(p) for p in group["params"])
        if existing & {id(p) for p in plist}:
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ---- state dict ----------------------------------------------------------------
    def state_dict(self):
        mapping = {}
        start = 0

        def pack(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack(g) for g in self.param_groups]
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    @staticmethod
    def _cast_state(param, value, key=None):
        if isinstance(value, Tensor):
            if key == "step":
                return value
            if param.is_floating_point():
                return value.to(dtype=param.dtype, device=param.device)
            return value.to(device=param.device)
        if isinstance(value, dict):
            return {k: Optimizer._cast_state(param, v, k) for k, v in value.items()}
        return value

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(itertools.chain.from_iterable(s["params"] for s in saved_groups),
                          itertools.chain.from_iterable(g["params"] for g in groups)))
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = self._cast_state(param, v)
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        self.__setstate__({"state": state,
                           "param_groups": [update_group(g, ng) for g, ng in zip(groups, saved_groups)]})

    # ---- stepping ------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        tracker = _local.state.tracker
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if tracker is not None:         # under torchlike.compile: the grad is state to restore
                    tracker.read((p,))
                if set_to_none:
                    p._grad = None
                else:
                    if g._grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g.zero_()

    def _eval_closure(self, closure):
        if closure is None:
            return None
        with grad_mode.enable_grad():
            return closure()

    def step(self, closure=None):
        loss = self._eval_closure(closure)
        for hook in list(self._optimizer_step_pre_hooks.values()):
            hook(self, (), {})
        with grad_mode.no_grad():
            for group in self.param_groups:
                self._step_group(group)
        for hook in list(self._optimizer_step_post_hooks.values()):
            hook(self, (), {})
        return loss

    def _step_group(self, group):
        raise NotImplementedError

    def register_step_pre_hook(self, hook):
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook):
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    # ---- the compiled update ---------------------------------------------------------
    def _update_group(self, kernel, cfg, params, state_names, hyper):
        """Run ``kernel`` over ``params`` (those with a grad) and write params and state back in place."""
        grads = []
        for p in params:
            g = p._grad
            if g.is_complex() or p.is_complex():
                raise NotImplementedError("torchlike optimizers do not support complex parameters yet")
            grads.append(g._arr())
        states = tuple(tuple(self.state[p][n]._arr() for p in params) for n in state_names)
        new_params, new_states = _compiled(kernel, cfg)(tuple(p._arr() for p in params), tuple(grads), states,
                                                        {k: _scalar(v) for k, v in hyper.items()})
        for p, a in zip(params, new_params):
            p._assign(a)
        for n, arrays in zip(state_names, new_states):
            for p, a in zip(params, arrays):
                self.state[p][n]._assign(a)

    def _params_with_grad(self, group):
        return [p for p in group["params"] if p._grad is not None]

    def _lazy_step(self, group, kernel, cfg, names, init_state, hyper_keys):
        """The common ``_step_group``: parameters with a grad get ``init_state(p)`` (a dict of state
        tensors, in PyTorch's key order) on their first step, then ``kernel`` updates them and the
        state tensors ``names`` (passed to the kernel in that order)."""
        params = self._params_with_grad(group)
        if not params:
            return
        for p in params:
            st = self.state[p]
            if len(st) == 0:
                st.update(init_state(p))
        hyper = {k: (tuple(group[k]) if k == "betas" else group[k]) for k in hyper_keys}
        self._update_group(kernel, cfg, params, names, hyper)


def _zeros_like(p):
    return Tensor._wrap(jnp.zeros(p._arr().shape, p._arr().dtype))


def _step_tensor(value=0.0):
    return Tensor._wrap(jnp.asarray(value, jnp.float32))


def _f64():
    return jnp.float64 if jax.config.jax_enable_x64 else jnp.float32


def _grad_prelude(p, g, maximize, weight_decay, decoupled, lr, wd):
    """What most update rules do first: negate for ``maximize``, then weight decay, either decoupled
    (shrink the parameter) or L2 (add ``wd * p`` to the gradient)."""
    if maximize:
        g = -g
    if weight_decay:
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
    return p, g


def _check(cond, message):
    if not cond:
        raise ValueError(message)


def _check_hyper(lr=0.0, eps=0.0, betas=None, weight_decay=0.0):
    """PyTorch's constructor checks shared by the Adam family (ValueError with its messages)."""
    _check(0.0 <= lr, f"Invalid learning rate: {lr}")
    _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
    if betas is not None:
        _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
    _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
