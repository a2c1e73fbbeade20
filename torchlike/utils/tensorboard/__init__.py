"""``torch.utils.tensorboard``: needs the ``tensorboard`` package (``pip install torchlike[tensorboard]``).

Like PyTorch, importing this module without ``tensorboard`` installed raises
``ModuleNotFoundError: No module named 'tensorboard'``.  The ``SummaryWriter``
over an installed tensorboard is not written yet (see docs/differences.md).
"""
import tensorboard  # noqa: F401  (raises ModuleNotFoundError when absent, as torch.utils.tensorboard does)

raise ImportError("torch.utils.tensorboard.SummaryWriter is not implemented in torchlike yet "
                  "(tensorboard is installed, but torchlike has no writer over it)")
