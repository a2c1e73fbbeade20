"""The legacy ``torch.nn.utils.spectral_norm``: parameter ``<name>_orig``, buffers ``<name>_u`` and
``<name>_v`` (the power method's singular vectors), and ``module.<name> = W / sigma(W)`` recomputed by a
forward pre-hook (one power-method step per forward in training mode)."""
from __future__ import annotations

from ... import _creation
from ...autograd import grad_mode
from ..modules.module import RemovableHandle
from ..parameter import Parameter
from .. import functional as F
from ..modules.conv import ConvTranspose1d
from ..modules.conv import ConvTranspose2d
from ..modules.conv import ConvTranspose3d

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]


def _normalize(x, eps):
    return F.normalize(x, dim=0, eps=eps)


def weight_as_matrix(weight, dim):
    """``weight`` with ``dim`` moved first, flattened to ``(size(dim), -1)``."""
    if dim != 0:
        weight = weight.permute(dim, *[d for d in range(weight.dim()) if d != dim])
    return weight.reshape(weight.size(0), -1)


def power_iteration(weight_mat, u, v, n, eps, u_first=False):
    """``n`` steps of the power method on ``weight_mat``, written into ``u`` and ``v`` in place (no grad):
    ``v`` from ``u`` then ``u`` from ``v`` (the legacy hook's order), or ``u`` first (the parametrization's)."""
    with grad_mode.no_grad():
        for _ in range(n):
            if u_first:
                u.copy_(_normalize(weight_mat.mv(v), eps))
            v.copy_(_normalize(weight_mat.mH.mv(u), eps))
            if not u_first:
                u.copy_(_normalize(weight_mat.mv(v), eps))


def check_power_iterations(n_power_iterations):
    if n_power_iterations <= 0:
        raise ValueError("Expected n_power_iterations to be positive, but got "
                         f"n_power_iterations={n_power_iterations}")


class SpectralNorm:
    _version = 1

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        self.name = name
        self.dim = dim
        check_power_iterations(n_power_iterations)
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight):
        return weight_as_matrix(weight, self.dim)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            power_iteration(weight_mat, u, v, self.n_power_iterations, self.eps)
            u = u.clone()       # the buffers change in place at the next step; autograd keeps these
            v = v.clone()
        sigma = u.dot(weight_mat.mv(v))
        return weight / sigma

    def remove(self, module):
        with grad_mode.no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        with grad_mode.no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            u = _normalize(_creation.empty(h, dtype=weight.dtype).normal_(0, 1), fn.eps)
            v = _normalize(_creation.empty(w, dtype=weight.dtype).normal_(0, 1), fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        setattr(module, fn.name, weight.data)
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        handle = RemovableHandle(module._state_dict_hooks)
        module._state_dict_hooks[handle.id] = _SpectralNormStateDictHook(fn)
        return fn


class _SpectralNormStateDictHook:
    """Records the format version in the state dict's metadata, as PyTorch does."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, module, state_dict, prefix, local_metadata):
        meta = getattr(state_dict, "_metadata", None)
        if meta is not None:
            entry = meta.setdefault(prefix[:-1], {"version": module._version})
            entry.setdefault("spectral_norm", {})[self.fn.name + ".version"] = self.fn._version


def _default_dim(module):
    return 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divide ``module.<name>`` by its largest singular value, estimated by the power method."""
    SpectralNorm.apply(module, name, n_power_iterations, _default_dim(module) if dim is None else dim, eps)
    return module


def remove_pre_hook(module, hook_type, name, what):
    """Undo the ``hook_type`` forward pre-hook of tensor ``name`` (its ``remove(module)``); ValueError when
    there is none."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, hook_type) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"{what} of '{name}' not found in {module}")


def remove_spectral_norm(module, name="weight"):
    remove_pre_hook(module, SpectralNorm, name, "spectral_norm")
    for k, hook in list(module._state_dict_hooks.items()):
        if isinstance(hook, _SpectralNormStateDictHook) and hook.fn.name == name:
            del module._state_dict_hooks[k]
    return module
