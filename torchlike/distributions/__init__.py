"""torch.distributions: probability distributions, transforms, constraints and KL divergences.

Every density, entropy and reparameterized sample is composed of torchlike ops,
so it carries autograd; draws come from torchlike's generator (``manual_seed``).
PyTorch's per-distribution submodules (``torch.distributions.normal``, ...) are
provided as aliases of the modules the classes live in.
"""
from __future__ import annotations

import sys
import types

from . import constraint_registry, constraints, kl, transforms, utils  # noqa: F401
from . import distribution as distribution  # noqa: F401
from . import exp_family as exp_family  # noqa: F401
from ._continuous import (Cauchy, Chi2, Exponential, FisherSnedecor, Gamma, GeneralizedPareto, Laplace, Normal,
                          StudentT, Uniform, VonMises)
from ._continuous_bernoulli import ContinuousBernoulli
from ._lkj import LKJCholesky
from ._wishart import Wishart
from ._discrete import (Bernoulli, Binomial, Categorical, Geometric, Multinomial, NegativeBinomial,
                        OneHotCategorical, OneHotCategoricalStraightThrough, Poisson, RelaxedBernoulli,
                        RelaxedOneHotCategorical)
from ._multivariate import (Beta, Dirichlet, LowRankMultivariateNormal, MixtureSameFamily,
                            MultivariateNormal)
from ._transformed import (Gumbel, HalfCauchy, HalfNormal, Independent, InverseGamma, Kumaraswamy, LogisticNormal,
                           LogNormal, Pareto, TransformedDistribution, Weibull)
from .constraint_registry import biject_to, transform_to
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .kl import kl_divergence, register_kl
from .transforms import *  # noqa: F401,F403
from .transforms import __all__ as _transforms_all
from . import _discrete

__all__ = ["Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "ContinuousBernoulli", "Dirichlet", "Distribution",
           "Exponential", "ExponentialFamily", "FisherSnedecor", "Gamma", "GeneralizedPareto", "Geometric",
           "Gumbel", "HalfCauchy", "HalfNormal", "Independent", "InverseGamma", "Kumaraswamy", "LKJCholesky", "Laplace",
           "LogNormal", "LogisticNormal", "LowRankMultivariateNormal", "MixtureSameFamily", "Multinomial",
           "MultivariateNormal", "NegativeBinomial", "Normal", "OneHotCategorical",
           "OneHotCategoricalStraightThrough", "Pareto", "Poisson", "RelaxedBernoulli", "RelaxedOneHotCategorical",
           "StudentT", "TransformedDistribution", "Uniform", "VonMises", "Weibull", "Wishart", "biject_to",
           "kl_divergence", "register_kl", "transform_to"] + list(_transforms_all)

# PyTorch's submodule per distribution (``from torch.distributions.normal import Normal``)
_SUBMODULES = {
    "bernoulli": ["Bernoulli"], "beta": ["Beta"], "binomial": ["Binomial"], "categorical": ["Categorical"],
    "cauchy": ["Cauchy"], "chi2": ["Chi2"], "continuous_bernoulli": ["ContinuousBernoulli"], "dirichlet": ["Dirichlet"], "exponential": ["Exponential"],
    "fishersnedecor": ["FisherSnedecor"], "gamma": ["Gamma"], "generalized_pareto": ["GeneralizedPareto"],
    "geometric": ["Geometric"], "gumbel": ["Gumbel"], "half_cauchy": ["HalfCauchy"], "half_normal": ["HalfNormal"],
    "independent": ["Independent"], "inverse_gamma": ["InverseGamma"], "kumaraswamy": ["Kumaraswamy"],
    "laplace": ["Laplace"], "lkj_cholesky": ["LKJCholesky"], "log_normal": ["LogNormal"], "logistic_normal": ["LogisticNormal"],
    "lowrank_multivariate_normal": ["LowRankMultivariateNormal"], "mixture_same_family": ["MixtureSameFamily"],
    "multinomial": ["Multinomial"], "multivariate_normal": ["MultivariateNormal"],
    "negative_binomial": ["NegativeBinomial"], "normal": ["Normal"],
    "one_hot_categorical": ["OneHotCategorical", "OneHotCategoricalStraightThrough"], "pareto": ["Pareto"],
    "poisson": ["Poisson"], "relaxed_bernoulli": ["RelaxedBernoulli", "LogitRelaxedBernoulli"],
    "relaxed_categorical": ["RelaxedOneHotCategorical", "ExpRelaxedCategorical"], "studentT": ["StudentT"],
    "transformed_distribution": ["TransformedDistribution"], "uniform": ["Uniform"], "von_mises": ["VonMises"],
    "weibull": ["Weibull"], "wishart": ["Wishart"],
}


def _make_submodules():
    here = sys.modules[__name__]
    for name, classes in _SUBMODULES.items():
        mod = types.ModuleType(f"{__name__}.{name}")
        for cls in classes:
            setattr(mod, cls, getattr(here, cls, None) or getattr(_discrete, cls))
        mod.__all__ = list(classes)
        sys.modules[mod.__name__] = mod
        setattr(here, name, mod)


_make_submodules()
