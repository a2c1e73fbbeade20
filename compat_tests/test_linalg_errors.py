"""Value-dependent errors in linear algebra: singular, not positive-definite and NaN inputs.

PyTorch raises ``torch.linalg.LinAlgError`` (a RuntimeError) with messages that
name the failing pivot or minor and, for batched inputs, the batch element; the
``*_ex`` variants return LAPACK's ``info`` codes instead.  Inputs here are
chosen so that the failure is exact (a pivot that is exactly zero), not a matter
of rounding.
"""
import numpy as np
import pytest
import torch

import torchlike
from harness import data, same, same_message

NAN = float("nan")
ZERO = [[0.0, 0.0], [0.0, 0.0]]
RANK1 = [[1.0, 2.0], [2.0, 4.0]]                       # LU: U[2,2] is exactly 0
NOT_PD = [[1.0, 2.0], [2.0, 1.0]]                      # leading minor of order 2 is negative
NOT_PD3 = [[4.0, 2.0, 0.0], [2.0, 5.0, 0.0], [0.0, 0.0, -1.0]]
EYE = [[1.0, 0.0], [0.0, 1.0]]
NANS = [[NAN, NAN], [NAN, NAN]]
NAN_CORNER = [[1.0, 0.0], [0.0, NAN]]


def t(T, x, **kw):
    return T.tensor(x, **kw)


# ---- the errors, with PyTorch's messages ------------------------------------------------------------
RAISES = {
    "inv_zero": lambda T: T.linalg.inv(t(T, ZERO)),
    "inv_rank1": lambda T: T.linalg.inv(t(T, RANK1)),
    "inv_batched": lambda T: T.linalg.inv(t(T, [EYE, ZERO, RANK1])),
    "inv_batch_of_one": lambda T: T.linalg.inv(t(T, [ZERO])),
    "inv_two_batch_dims": lambda T: T.linalg.inv(t(T, [[EYE, EYE], [EYE, RANK1]])),
    "inv_float64": lambda T: T.linalg.inv(t(T, ZERO, dtype=T.float64)),
    "inv_complex": lambda T: T.linalg.inv(t(T, ZERO, dtype=T.complex64)),
    "inv_requires_grad": lambda T: T.linalg.inv(t(T, ZERO, requires_grad=True)),
    "inverse": lambda T: T.inverse(t(T, ZERO)),
    "Tensor.inverse": lambda T: t(T, RANK1).inverse(),
    "inv_ex_check_errors": lambda T: T.linalg.inv_ex(t(T, [EYE, ZERO]), check_errors=True),
    "matrix_power_negative": lambda T: T.linalg.matrix_power(t(T, ZERO), -1),
    "solve": lambda T: T.linalg.solve(t(T, ZERO), T.ones(2, 1)),
    "solve_vector": lambda T: T.linalg.solve(t(T, RANK1), T.ones(2)),
    "solve_batched": lambda T: T.linalg.solve(t(T, [EYE, ZERO, RANK1]), T.ones(3, 2, 1)),
    "solve_left_false": lambda T: T.linalg.solve(t(T, ZERO), T.ones(1, 2), left=False),
    "solve_ex_check_errors": lambda T: T.linalg.solve_ex(t(T, [ZERO, EYE]), T.ones(2, 2, 1), check_errors=True),
    "tensorsolve": lambda T: T.linalg.tensorsolve(t(T, ZERO), T.ones(2)),
    "cholesky": lambda T: T.linalg.cholesky(t(T, NOT_PD)),
    "cholesky_order3": lambda T: T.linalg.cholesky(t(T, NOT_PD3)),
    "cholesky_upper": lambda T: T.linalg.cholesky(t(T, NOT_PD), upper=True),
    "cholesky_zero": lambda T: T.linalg.cholesky(t(T, ZERO)),
    "cholesky_nan": lambda T: T.linalg.cholesky(t(T, NANS)),
    "cholesky_batched": lambda T: T.linalg.cholesky(t(T, [EYE, EYE, NOT_PD])),
    "cholesky_float64": lambda T: T.linalg.cholesky(t(T, NOT_PD3, dtype=T.float64)),
    "cholesky_ex_check_errors": lambda T: T.linalg.cholesky_ex(t(T, [EYE, [[-1.0, 0.0], [0.0, 1.0]]]),
                                                               check_errors=True),
    "cholesky_legacy": lambda T: T.cholesky(t(T, NOT_PD)),
    "cholesky_inverse": lambda T: T.cholesky_inverse(t(T, ZERO)),
    "cholesky_inverse_upper": lambda T: T.cholesky_inverse(t(T, [[1.0, 0.0], [3.0, 0.0]]), upper=True),
    "cholesky_inverse_batched": lambda T: T.cholesky_inverse(t(T, [ZERO, ZERO])),
    "lu_factor": lambda T: T.linalg.lu_factor(t(T, ZERO)),
    "lu_factor_rank1": lambda T: T.linalg.lu_factor(t(T, RANK1)),
    "lu_factor_batched": lambda T: T.linalg.lu_factor(t(T, [EYE, ZERO])),
    "lu_factor_rectangular": lambda T: T.linalg.lu_factor(T.zeros(2, 3)),
    "lu_factor_ex_check_errors": lambda T: T.linalg.lu_factor_ex(t(T, [ZERO, ZERO]), check_errors=True),
    "svd_nan": lambda T: T.linalg.svd(t(T, NANS)),
    "svd_nan_one_entry": lambda T: T.linalg.svd(t(T, NAN_CORNER)),
    "svd_nan_batched": lambda T: T.linalg.svd(t(T, [EYE, NANS])),
    "svd_legacy_nan": lambda T: T.svd(t(T, NANS)),
    "svdvals_nan": lambda T: T.linalg.svdvals(t(T, [NANS, EYE])),
    "pinv_nan": lambda T: T.linalg.pinv(t(T, NANS)),
    "matrix_rank_nan": lambda T: T.linalg.matrix_rank(t(T, NANS)),
    "cond_nan": lambda T: T.linalg.cond(t(T, NANS)),
    "eig_nan": lambda T: T.linalg.eig(t(T, NANS)),
}


@pytest.mark.parametrize("name", RAISES)
def test_raises_as_pytorch(name):
    fn = RAISES[name]
    expected, _ = same(fn)
    assert isinstance(getattr(expected, "exc", None), RuntimeError), "PyTorch raised nothing: not an error case"
    same_message(fn)


@pytest.mark.parametrize("name", ["inv_zero", "cholesky", "svd_nan", "solve"])
def test_linalg_error_is_a_runtime_error_named_as_pytorchs(name):
    with pytest.raises(torchlike.linalg.LinAlgError) as info:
        RAISES[name](torchlike)
    assert isinstance(info.value, RuntimeError)
    assert type(info.value).__name__ == torch.linalg.LinAlgError.__name__


def test_ldl_factor_of_singular_matrix_raises_runtime_error():
    same(lambda T: T.linalg.ldl_factor(t(T, ZERO)))


# ---- the *_ex variants: LAPACK's info codes ---------------------------------------------------------
INFO = {
    "inv_ex_zero": lambda T: T.linalg.inv_ex(t(T, ZERO)).info,
    "inv_ex_rank1": lambda T: T.linalg.inv_ex(t(T, RANK1)).info,
    "inv_ex_batched": lambda T: T.linalg.inv_ex(t(T, [EYE, ZERO, RANK1])).info,
    "inv_ex_nan_is_not_a_failure": lambda T: T.linalg.inv_ex(t(T, NANS)).info,
    "inv_ex_regular": lambda T: T.linalg.inv_ex(T.tensor(data(3, 4, 4, seed=1) + 4 * np.eye(4, dtype=np.float32))),
    "solve_ex_batched": lambda T: T.linalg.solve_ex(t(T, [EYE, ZERO, RANK1]), T.ones(3, 2, 1)).info,
    "cholesky_ex": lambda T: T.linalg.cholesky_ex(t(T, NOT_PD)).info,
    "cholesky_ex_order3": lambda T: T.linalg.cholesky_ex(t(T, NOT_PD3)).info,
    "cholesky_ex_zero": lambda T: T.linalg.cholesky_ex(t(T, ZERO)).info,
    "cholesky_ex_nan": lambda T: T.linalg.cholesky_ex(t(T, NANS)).info,
    "cholesky_ex_batched": lambda T: T.linalg.cholesky_ex(t(T, [EYE, NOT_PD, ZERO, EYE])).info,
    "cholesky_ex_float64": lambda T: T.linalg.cholesky_ex(t(T, [NOT_PD3, NOT_PD3], dtype=T.float64)).info,
    "cholesky_ex_reads_lower_triangle": lambda T: T.linalg.cholesky_ex(t(T, [[1.0, 5.0], [0.0, 1.0]])).info,
    "cholesky_ex_regular": lambda T: T.linalg.cholesky_ex(t(T, [[4.0, 2.0], [2.0, 3.0]])),
    "lu_factor_ex": lambda T: T.linalg.lu_factor_ex(t(T, ZERO)).info,
    "lu_factor_ex_rank1": lambda T: T.linalg.lu_factor_ex(t(T, [RANK1, EYE])).info,
    "lu_factor_ex_nan": lambda T: T.linalg.lu_factor_ex(t(T, NANS)).info,
    "lu_factor_ex_rectangular": lambda T: T.linalg.lu_factor_ex(T.zeros(2, 3)).info,
    "lu_legacy_get_infos": lambda T: T.lu(t(T, [ZERO, EYE]), get_infos=True)[2],
    "ldl_factor_ex": lambda T: T.linalg.ldl_factor_ex(t(T, ZERO)).info,
}


@pytest.mark.parametrize("name", INFO)
def test_info_codes(name):
    same(INFO[name])


def test_ex_results_keep_their_values_where_the_factorization_failed():
    """``inv_ex`` of a singular matrix returns what LAPACK leaves (inf/nan) next to info, without raising."""
    for lib in (torch, torchlike):
        res = lib.linalg.inv_ex(t(lib, [EYE, ZERO]))
        assert res.info.tolist() == [0, 1]
        assert res.inverse[0].tolist() == EYE


def test_cond_of_singular_matrix_is_inf():
    same(lambda T: T.linalg.cond(t(T, ZERO), 1))
    same(lambda T: T.linalg.cond(t(T, [EYE, ZERO]), float("inf")))


# ---- regular inputs: values and gradients unchanged ----------------------------------------------------
def _spd(n, seed, batch=()):
    a = data(*batch, n, n, seed=seed)
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n, dtype=np.float32)


def _with_grad(fn, *inputs):
    def run(T):
        xs = [T.tensor(x, requires_grad=True) for x in inputs]
        out = fn(T, *xs)
        outs = out if isinstance(out, tuple) else (out,)
        total = sum((o.abs() if o.is_complex() else o).sum() for o in outs if o.is_floating_point() or o.is_complex())
        total.backward()
        return out, [x.grad for x in xs]
    return run


REGULAR = {
    "inv": (lambda T, a: T.linalg.inv(a), [data(3, 3, seed=1) + 3 * np.eye(3, dtype=np.float32)]),
    "inv_batched": (lambda T, a: T.linalg.inv(a), [data(2, 3, 3, seed=2) + 3 * np.eye(3, dtype=np.float32)]),
    "inverse": (lambda T, a: T.inverse(a), [data(3, 3, seed=3) + 3 * np.eye(3, dtype=np.float32)]),
    "inv_ex": (lambda T, a: T.linalg.inv_ex(a).inverse, [data(3, 3, seed=4) + 3 * np.eye(3, dtype=np.float32)]),
    "solve": (lambda T, a, b: T.linalg.solve(a, b), [data(3, 3, seed=5) + 3 * np.eye(3, dtype=np.float32),
                                                    data(3, 2, seed=6)]),
    "solve_ex": (lambda T, a, b: T.linalg.solve_ex(a, b).result,
                 [data(2, 3, 3, seed=7) + 3 * np.eye(3, dtype=np.float32), data(2, 3, seed=8)]),
    "cholesky": (lambda T, a: T.linalg.cholesky(a), [_spd(3, 9)]),
    "cholesky_upper": (lambda T, a: T.linalg.cholesky(a, upper=True), [_spd(3, 10, (2,))]),
    "cholesky_ex": (lambda T, a: T.linalg.cholesky_ex(a).L, [_spd(4, 11)]),
    "cholesky_legacy": (lambda T, a: T.cholesky(a), [_spd(3, 12)]),
    "cholesky_inverse": (lambda T, a: T.cholesky_inverse(a), [np.linalg.cholesky(_spd(3, 13)).astype(np.float32)]),
    "lu_factor": (lambda T, a: T.linalg.lu_factor(a).LU, [data(3, 3, seed=14) + 3 * np.eye(3, dtype=np.float32)]),
    "svdvals": (lambda T, a: T.linalg.svdvals(a), [data(3, 4, seed=15)]),
    "svd_s": (lambda T, a: T.linalg.svd(a, full_matrices=False).S, [data(2, 4, 3, seed=16)]),
    "pinv": (lambda T, a: T.linalg.pinv(a), [data(3, 2, seed=17)]),
}


@pytest.mark.parametrize("name", REGULAR)
def test_regular_inputs_values_and_gradients(name):
    fn, inputs = REGULAR[name]
    same(_with_grad(fn, *inputs), rtol=1e-4, atol=1e-4)


def test_regular_results_and_dtypes_of_ex_variants():
    a = data(3, 3, seed=20) + 3 * np.eye(3, dtype=np.float32)
    same(lambda T: T.linalg.inv_ex(T.tensor(a)), rtol=1e-5)
    same(lambda T: T.linalg.solve_ex(T.tensor(a), T.ones(3)), rtol=1e-5)
    same(lambda T: T.linalg.lu_factor_ex(T.tensor(a)), rtol=1e-5)
    same(lambda T: T.linalg.cholesky_ex(T.tensor(_spd(3, 21, (2,)), dtype=T.float64)), rtol=1e-5)
    same(lambda T: T.linalg.cond(T.tensor(a), 1), rtol=1e-5)   # (PyTorch's backward of cond(p=1) fails)


def test_errors_leave_later_calls_working():
    for lib in (torch, torchlike):
        with pytest.raises(RuntimeError):
            lib.linalg.inv(t(lib, ZERO))
    a = data(3, 3, seed=22) + 3 * np.eye(3, dtype=np.float32)
    same(lambda T: T.linalg.inv(T.tensor(a)), rtol=1e-5)


# ---- under a JAX trace, values cannot be read: nothing is raised (docs/differences.md) ------------------
def test_no_error_under_vmap():
    out = torchlike.func.vmap(torchlike.linalg.inv)(t(torchlike, [EYE, ZERO]))
    assert out[0].tolist() == EYE
    assert not bool(torchlike.isfinite(out[1]).all())


def test_no_error_under_compile_after_the_eager_call():
    step = torchlike.compile(lambda a: torchlike.linalg.inv(a) * 2)
    good = t(torchlike, [[2.0, 0.0], [0.0, 4.0]])
    for _ in range(3):                      # the first call runs eagerly, later ones compiled
        assert step(good).tolist() == [[1.0, 0.0], [0.0, 0.5]]
    out = step(t(torchlike, ZERO))          # compiled: the singular input is not detected
    assert not bool(torchlike.isfinite(out).all())
